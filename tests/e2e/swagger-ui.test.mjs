// Swagger UI at /docs as a client: "Try it out" logs in with the cookie and calls a
// protected route, and the Authorize dialog's bearer token works, in headless Chromium.
//
//   QBLOG_E2E_URL  origin of a server as shipped (its public_base_url)
//   CHROMIUM       Chromium executable (default /usr/bin/chromium)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const BASE = (process.env.QBLOG_E2E_URL || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT_MS = 20_000;

let browser;

before(async () => {
  assert.ok(BASE, 'set QBLOG_E2E_URL to the server origin');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
});

/** A registered user no other run has used. */
async function freshUser() {
  const tag = Date.now().toString(36) + randomBytes(3).toString('hex');
  const user = { username: `ui_${tag}`, password: `pw-${randomBytes(6).toString('hex')}` };
  const response = await fetch(`${BASE}/api/user/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...user, realname: `Swagger ${tag}` }),
  });
  assert.equal(response.status, 201);
  return user;
}

/** The operation block of `method path`, expanded, with "Try it out" pressed. */
async function tryItOut(page, method, path) {
  const block = page.locator(`.opblock-${method}`, {
    has: page.locator(`.opblock-summary-path[data-path="${path}"]`),
  });
  await block.locator('.opblock-summary').first().click();
  await block.getByRole('button', { name: 'Try it out' }).click();
  return block;
}

/** Presses Execute in `block` and returns the status and body Swagger UI shows. */
async function execute(block) {
  await block.getByRole('button', { name: 'Execute' }).click();
  const status = block.locator('.live-responses-table tbody .response-col_status').first();
  await status.waitFor({ timeout: WAIT_MS });
  const body = await block
    .locator('.live-responses-table .response-col_description .microlight')
    .first()
    .innerText();
  return { status: (await status.innerText()).trim(), body: JSON.parse(body) };
}

describe('Swagger UI at /docs', () => {
  test('logs in with "Try it out" and the cookie then calls /me', async () => {
    const user = await freshUser();
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${BASE}/docs`);
      const login = await tryItOut(page, 'post', '/api/user/login');
      await login.locator('textarea.body-param__text').fill(JSON.stringify(user));
      const loggedIn = await execute(login);
      assert.equal(loggedIn.status, '200', JSON.stringify(loggedIn.body));
      assert.equal(loggedIn.body.data.username, user.username);
      const cookies = await context.cookies(BASE);
      assert.ok(cookies.some((c) => c.name === 'sid' && c.httpOnly), 'the sid cookie is set');

      const me = await tryItOut(page, 'get', '/api/user/me');
      const answered = await execute(me);
      assert.equal(answered.status, '200', JSON.stringify(answered.body));
      assert.equal(answered.body.data.username, user.username);
    } finally {
      await context.close();
    }
  });

  test('calls /me with a bearer token given to Authorize', async () => {
    const user = await freshUser();
    const login = await fetch(`${BASE}/api/user/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(user),
    });
    const token = (await login.json()).data.token;
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${BASE}/docs`);
      await page.getByRole('button', { name: /Authorize/ }).first().click();
      const dialog = page.locator('.modal-ux');
      const bearer = dialog.locator('.auth-container', { has: page.locator('#auth-bearer-value') });
      await bearer.locator('#auth-bearer-value').fill(token);
      await bearer.locator('button.authorize').click();
      await dialog.locator('button.close-modal').click();

      const me = await tryItOut(page, 'get', '/api/user/me');
      const answered = await execute(me);
      assert.equal(answered.status, '200', JSON.stringify(answered.body));
      assert.equal(answered.body.data.username, user.username);
      assert.equal((await context.cookies(BASE)).length, 0, 'the call used no cookie');
    } finally {
      await context.close();
    }
  });
});
