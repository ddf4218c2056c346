// Front ends written for the Node blog, against qblog with compat.legacy_error_status.
//
// The pages in legacy/ are written the way the Node blog's pages are: jQuery
// `$.ajax(...).then(res => res.errno === 0 ? … : alert(res.message))`. jQuery runs that
// handler only for a 2xx, so they show errors only when errors come with HTTP 200.
// The browser asks the server under test for /legacy/*; the test answers those from
// the files here, so the pages share the API's origin, as when nginx serves them.
//
//   QBLOG_E2E_LEGACY_URL  a server with compat.legacy_error_status = true (required)
//   QBLOG_E2E_URL         a server as shipped (the setting off), for the contrast
//   CHROMIUM              Chromium executable (default /usr/bin/chromium)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const LEGACY = (process.env.QBLOG_E2E_LEGACY_URL || '').replace(/\/+$/, '');
const SHIPPED = (process.env.QBLOG_E2E_URL || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PAGES = new URL('./legacy/', import.meta.url);
const JQUERY = createRequire(import.meta.url).resolve('jquery/dist/jquery.min.js');
const WAIT_MS = 20_000;

let browser;

before(async () => {
  assert.ok(LEGACY, 'set QBLOG_E2E_LEGACY_URL to a server with compat.legacy_error_status on');
  assert.ok(SHIPPED, 'set QBLOG_E2E_URL to a server as shipped');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
});

/** A JSON call with plain fetch; returns the status and the parsed body. */
async function call(base, path, { body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(base + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

/** A registered user no other run has used, with a bearer token. */
async function signedUp(base) {
  const tag = Date.now().toString(36) + randomBytes(3).toString('hex');
  const user = { username: `old_${tag}`, password: `pw-${randomBytes(6).toString('hex')}` };
  const registered = await call(base, '/api/user/register', {
    body: { ...user, realname: `Old Front End ${tag}` },
  });
  assert.equal(registered.json.errno, 0, JSON.stringify(registered.json));
  const login = await call(base, '/api/user/login', { body: user });
  assert.equal(login.json.errno, 0, JSON.stringify(login.json));
  return { ...user, token: login.json.data.token };
}

/** A browser context whose /legacy/* requests are answered from tests/e2e/legacy. */
async function legacyContext(base) {
  const context = await browser.newContext();
  await context.route(`${base}/legacy/**`, async (route) => {
    const name = new URL(route.request().url()).pathname.replace('/legacy/', '');
    if (name === 'jquery.js') {
      await route.fulfill({ body: await readFile(JQUERY), contentType: 'text/javascript' });
      return;
    }
    if (!/^[a-z]+\.html$/.test(name)) {
      await route.fulfill({ status: 404, body: 'no such page' });
      return;
    }
    await route.fulfill({
      body: await readFile(new URL(name, PAGES)),
      contentType: 'text/html; charset=utf-8',
    });
  });
  return context;
}

/** The text of the next alert() the page shows, or null if none comes within `ms`. */
function nextAlert(page, ms = WAIT_MS) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    page.once('dialog', async (dialog) => {
      clearTimeout(timer);
      const message = dialog.message();
      await dialog.dismiss();
      resolve(message);
    });
  });
}

async function logIn(page, base, username, password) {
  await page.goto(`${base}/legacy/login.html`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#btnLogin');
}

describe('a jQuery front end written for the Node blog', () => {
  test('shows the error message for a wrong password', async () => {
    const user = await signedUp(LEGACY);
    const wrong = { username: user.username, password: 'not-the-password' };
    const expected = await call(LEGACY, '/api/user/login', { body: wrong });
    assert.equal(expected.status, 200, 'errors come with HTTP 200');
    assert.equal(expected.json.errno, -1);
    assert.equal(expected.json.code, 'invalid_credentials');

    const context = await legacyContext(LEGACY);
    try {
      const page = await context.newPage();
      const alerted = nextAlert(page);
      await logIn(page, LEGACY, user.username, 'not-the-password');
      assert.equal(await alerted, expected.json.message);
    } finally {
      await context.close();
    }
  });

  test("shows the error message for editing someone else's blog", async () => {
    const owner = await signedUp(LEGACY);
    const created = await call(LEGACY, '/api/blog/new', {
      body: { title: 'not yours', content: '<p>hands off</p>' },
      token: owner.token,
    });
    assert.equal(created.json.errno, 0, JSON.stringify(created.json));
    const id = created.json.data.id;
    const editor = await signedUp(LEGACY);

    const context = await legacyContext(LEGACY);
    try {
      const page = await context.newPage();
      await logIn(page, LEGACY, editor.username, editor.password);
      await page.waitForURL(`${LEGACY}/legacy/admin.html`, { timeout: WAIT_MS });
      await page.goto(`${LEGACY}/legacy/edit.html?id=${id}`);
      await page.waitForSelector('body[data-loaded="yes"]', { timeout: WAIT_MS });
      assert.equal(await page.inputValue('#title'), 'not yours');
      await page.fill('#title', 'taken over');
      const alerted = nextAlert(page);
      await page.click('#btnUpdate');
      const message = await alerted;
      assert.ok(message, 'an alert was shown');
      assert.match(message, /author/i, `the refusal says why: ${message}`);
      const after = await call(LEGACY, `/api/blog/detail?id=${id}`);
      assert.equal(after.json.data.title, 'not yours', 'nothing was changed');
    } finally {
      await context.close();
    }
  });

  test('shows nothing when errors keep their HTTP status (the setting off)', async () => {
    const user = await signedUp(SHIPPED);
    const context = await legacyContext(SHIPPED);
    try {
      const page = await context.newPage();
      const failed = page.waitForResponse((r) => r.url().endsWith('/api/user/login'));
      const alerted = nextAlert(page, 2_000);
      await logIn(page, SHIPPED, user.username, 'not-the-password');
      assert.equal((await failed).status(), 401);
      assert.equal(await alerted, null, 'jQuery skips the success handler on a 401');
    } finally {
      await context.close();
    }
  });
});
