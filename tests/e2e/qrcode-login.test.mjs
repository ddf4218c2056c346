// Browser test of the QR-code login against a running qblog.
//
// Two browser contexts stand for two devices: a desktop browser showing
// /qrcode-login and a phone opening the code's confirm link. They share nothing
// but the server, as on real devices.
//
//   QBLOG_E2E_URL  origin of the server, e.g. http://127.0.0.1:8000 (required;
//                  must be the server's public_base_url)
//   CHROMIUM       Chromium executable (default /usr/bin/chromium)
//
// .ci/e2e starts a server and runs this file. The server trusts 127.0.0.1 as a
// proxy, so a context that sends X-Forwarded-For plays a device on another network.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const BASE = (process.env.QBLOG_E2E_URL || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const WAIT_MS = 20_000;
const TEST_MS = 120_000;

const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  userAgent:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 ' +
    '(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
};
const DESKTOP = { viewport: { width: 1280, height: 800 } };

// A phone far from the PC (the PC itself is 127.0.0.1).
const FAR_AWAY = { extraHTTPHeaders: { 'X-Forwarded-For': '203.0.113.5' } };

const CONFIRMED = 'Confirmed. The computer is now logged in.';
const CANCELLED_PHONE = 'Cancelled. The computer was not logged in.';
const CANCELLED_PC = 'The login was cancelled on the phone.';

let browser;

before(async () => {
  assert.ok(BASE, 'set QBLOG_E2E_URL to the server origin, e.g. http://127.0.0.1:8000');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

after(async () => {
  await browser?.close();
});

// --- API helpers (plain Node fetch, no browser) -----------------------------

async function api(path, body) {
  const response = await fetch(BASE + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    assert.fail(`${path}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
  }
  return json;
}

/** Registers a user no other run has used. */
async function freshUser() {
  const tag = Date.now().toString(36) + randomBytes(3).toString('hex');
  const user = {
    username: `e2e_${tag}`,
    password: `pw-${randomBytes(6).toString('hex')}`,
    realname: `Tess Tester ${tag}`,
  };
  const body = await api('/api/user/register', user);
  assert.equal(body.errno, 0, `register failed: ${JSON.stringify(body)}`);
  return user;
}

// --- page helpers ------------------------------------------------------------

const textOf = (page, selector) => page.locator(selector).innerText();

/** Waits until the element's text contains `expected`; the error names what it saw. */
async function waitForText(page, selector, expected) {
  try {
    await page.waitForFunction(
      ([sel, want]) => {
        const el = document.querySelector(sel);
        return !!el && el.textContent.includes(want);
      },
      [selector, expected],
      { timeout: WAIT_MS },
    );
  } catch (err) {
    const seen = await page
      .locator(selector)
      .textContent({ timeout: 1000 })
      .catch(() => '(element missing)');
    const error = await page
      .locator('#error')
      .textContent({ timeout: 1000 })
      .catch(() => '');
    throw new Error(
      `${selector} never contained ${JSON.stringify(expected)}; ` +
        `it shows ${JSON.stringify(seen)}` +
        (error ? `, #error shows ${JSON.stringify(error)}` : ''),
      { cause: err },
    );
  }
}

const visible = (page, selector) => page.locator(selector).waitFor({ state: 'visible' });
const hidden = (page, selector) => page.locator(selector).waitFor({ state: 'hidden' });

/** Waits for a confirm link other than `previous` and for its QR image to be shown. */
async function waitForCode(pc, previous = null) {
  await pc.waitForFunction(
    (old) => {
      const href = document.getElementById('confirm-link').getAttribute('href') || '';
      return href.includes('/m/qrcode/confirm?id=') && href !== old;
    },
    previous,
    { timeout: WAIT_MS },
  );
  const href = await pc.locator('#confirm-link').getAttribute('href');
  const url = new URL(href);
  assert.equal(url.origin, BASE, 'the confirm link points at the public base URL');
  const id = url.searchParams.get('id');
  assert.ok(id, `confirm link without id: ${href}`);

  // The image must be this code's and must have decoded into real pixels.
  await pc.waitForFunction(
    (codeId) => {
      const img = document.getElementById('qr-image');
      return (
        img.complete &&
        img.naturalWidth > 0 &&
        new URL(img.src).searchParams.get('id') === codeId
      );
    },
    id,
    { timeout: WAIT_MS },
  );
  const size = await pc
    .locator('#qr-image')
    .evaluate((img) => [img.naturalWidth, img.naturalHeight]);
  assert.ok(size[0] > 0 && size[0] === size[1], `QR image is square: ${size}`);
  await waitForText(pc, '#status', 'Scan the code');
  return href;
}

/**
 * The PC shows a code, the phone opens its link, signs in and scans; the phone
 * shows who asks, with the advice to cancel an unexpected request and Cancel as
 * prominent as Confirm.
 */
async function openAndSignIn({ pc, phone }, user) {
  await pc.goto(BASE + '/qrcode-login');
  const href = await waitForCode(pc);
  assert.match(await textOf(pc, '#time-left'), /expires in [0-9]+:[0-5][0-9]/);

  await phone.goto(href);
  await visible(phone, '#login-form');
  await phone.fill('#username', user.username);
  await phone.fill('#password', user.password);
  await phone.click('#sign-in');

  await visible(phone, '#request');
  await hidden(phone, '#login-form');
  assert.equal(await textOf(phone, '#me'), user.realname);
  assert.match(await textOf(phone, '#advice'), /did not just try to log in .* press Cancel/s);
  const [confirmBox, cancelBox] = await Promise.all(
    ['#confirm', '#cancel'].map((sel) => phone.locator(sel).boundingBox()),
  );
  assert.ok(
    Math.abs(confirmBox.width - cancelBox.width) < 1 &&
      Math.abs(confirmBox.height - cancelBox.height) < 1,
    `Confirm and Cancel are the same size: ${JSON.stringify([confirmBox, cancelBox])}`,
  );
  return href;
}

/**
 * The steps the same-network tests share: as `openAndSignIn`, and the phone names
 * the PC, says it is on its network and asks for no number; the PC shows who scanned.
 */
async function showAndScan({ pc, phone }, user) {
  const href = await openAndSignIn({ pc, phone }, user);
  await visible(phone, '#network-ok');
  assert.equal(await phone.locator('#network-warning').isVisible(), false);
  assert.equal(await phone.locator('#match').isVisible(), false, 'no number on one network');
  assert.equal(await textOf(phone, '#pc-ip'), '127.0.0.1');
  const browserName = (await textOf(phone, '#pc-browser')).trim();
  assert.ok(browserName.length > 0, 'the phone names the asking browser');
  assert.notEqual(browserName, 'another browser', 'a Chromium agent is recognised');
  assert.ok((await textOf(phone, '#pc-time')).trim().length > 0, 'the phone shows when');
  const pcAgent = await pc.evaluate(() => navigator.userAgent);
  assert.equal(await textOf(phone, '#pc-agent'), pcAgent, "the PC's own User-Agent");
  assert.equal(await phone.locator('#error').isVisible(), false);

  // Before anything is decided the PC already says who scanned.
  await waitForText(pc, '#status', `Scanned by ${user.realname}`);
  assert.equal(await pc.locator('#done').isVisible(), false);
  return href;
}

/**
 * Gives each test a desktop and a phone context (with `phoneExtra` options); screenshots
 * both if it fails.
 */
async function withDevices(name, body, phoneExtra = {}) {
  const pcContext = await browser.newContext(DESKTOP);
  const phoneContext = await browser.newContext({ ...PHONE, ...phoneExtra });
  for (const context of [pcContext, phoneContext]) {
    context.setDefaultTimeout(WAIT_MS);
    context.setDefaultNavigationTimeout(WAIT_MS);
  }
  const pages = { pc: await pcContext.newPage(), phone: await phoneContext.newPage() };
  const notes = [];
  for (const [label, page] of Object.entries(pages)) {
    page.on('pageerror', (err) => notes.push(`[${label}] page error: ${err.message}`));
    page.on('console', (msg) => notes.push(`[${label}] console.${msg.type()}: ${msg.text()}`));
    page.on('requestfailed', (req) =>
      notes.push(`[${label}] request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText}`),
    );
  }
  try {
    await body(pages, { pcContext, phoneContext });
  } catch (err) {
    await mkdir(ARTIFACTS, { recursive: true });
    for (const [label, page] of Object.entries(pages)) {
      const file = new URL(`${name}-${label}.png`, ARTIFACTS);
      await page
        .screenshot({ path: file.pathname, fullPage: true, timeout: 5000 })
        .then(() => console.error(`saved ${file.pathname}`))
        .catch((shotErr) => console.error(`no ${label} screenshot: ${shotErr.message}`));
    }
    const log = new URL(`${name}-browser.log`, ARTIFACTS);
    await writeFile(log, notes.join('\n') + '\n').catch(() => {});
    throw err;
  } finally {
    await pcContext.close().catch(() => {});
    await phoneContext.close().catch(() => {});
  }
}

const sidOf = async (context) =>
  (await context.cookies(BASE)).find((c) => c.name === 'sid')?.value;

// --- tests ---------------------------------------------------------------------

describe('QR-code login', () => {
  test('the phone confirms and the PC ends up logged in', { timeout: TEST_MS }, async () => {
    const user = await freshUser();
    await withDevices('confirm', async ({ pc, phone }, { pcContext, phoneContext }) => {
      assert.equal(await sidOf(pcContext), undefined, 'the PC starts logged out');
      await showAndScan({ pc, phone }, user);

      await phone.click('#confirm');
      await visible(phone, '#result');
      assert.equal(await textOf(phone, '#result'), CONFIRMED);
      assert.equal(await phone.locator('#request').isVisible(), false);
      assert.equal(await phone.locator('#error').isVisible(), false);

      await visible(pc, '#done');
      await waitForText(pc, '#logged-in', user.realname);
      assert.equal(
        await textOf(pc, '#logged-in'),
        `Logged in as ${user.realname} (${user.username}).`,
      );
      assert.equal(await pc.locator('#code-card').isVisible(), false);

      // The PC has a session of its own, not the phone's.
      const me = await pc.evaluate(async () => {
        const response = await fetch('/api/user/me');
        return { status: response.status, body: await response.json() };
      });
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(me.body.errno, 0, JSON.stringify(me.body));
      assert.equal(me.body.data.username, user.username);
      assert.equal(me.body.data.realname, user.realname);
      const pcSid = await sidOf(pcContext);
      const phoneSid = await sidOf(phoneContext);
      assert.ok(pcSid, 'the PC holds a sid cookie');
      assert.ok(phoneSid, 'the phone holds a sid cookie');
      assert.notEqual(pcSid, phoneSid, 'PC and phone have separate sessions');
    });
  });

  test('the phone cancels, the PC stays logged out and can get a new code', { timeout: TEST_MS }, async () => {
    const user = await freshUser();
    await withDevices('cancel', async ({ pc, phone }, { pcContext }) => {
      const firstLink = await showAndScan({ pc, phone }, user);

      await phone.click('#cancel');
      await visible(phone, '#result');
      assert.equal(await textOf(phone, '#result'), CANCELLED_PHONE);
      assert.equal(await phone.locator('#request').isVisible(), false);
      assert.equal(await phone.locator('#error').isVisible(), false);

      await waitForText(pc, '#status', CANCELLED_PC);
      await visible(pc, '#new-code');
      assert.equal(await pc.locator('#done').isVisible(), false);
      assert.equal(await sidOf(pcContext), undefined, 'no session after a cancel');
      const me = await pc.evaluate(async () => (await fetch('/api/user/me')).json());
      assert.notEqual(me.errno, 0, `the PC is not logged in: ${JSON.stringify(me)}`);

      await pc.click('#new-code');
      const secondLink = await waitForCode(pc, firstLink);
      assert.notEqual(secondLink, firstLink);
      await hidden(pc, '#new-code');
      assert.equal(await pc.locator('#error').isVisible(), false);
    });
  });
  test('a phone on another network must type the number the PC shows', { timeout: TEST_MS }, async () => {
    const user = await freshUser();
    await withDevices(
      'number-matching',
      async ({ pc, phone }) => {
        await openAndSignIn({ pc, phone }, user);
        await visible(phone, '#network-warning');
        assert.match(await textOf(phone, '#network-warning'), /different network/);
        assert.equal(await phone.locator('#network-ok').isVisible(), false);
        await visible(phone, '#match-code');

        // The PC shows the two digits the phone must type.
        await visible(pc, '#match');
        const shown = (await textOf(pc, '#match-code')).trim();
        assert.match(shown, /^[0-9]{2}$/);
        await waitForText(pc, '#status', 'Enter the number below on your phone');

        // A wrong number is refused and costs a try; the PC is not logged in.
        const wrong = String((Number(shown) + 1) % 100).padStart(2, '0');
        await phone.fill('#match-code', wrong);
        await phone.click('#confirm');
        await waitForText(phone, '#error', '2 tries left');
        assert.equal(await phone.locator('#request').isVisible(), true);
        assert.equal(await pc.locator('#done').isVisible(), false);

        await phone.fill('#match-code', shown);
        await phone.click('#confirm');
        await visible(phone, '#result');
        assert.equal(await textOf(phone, '#result'), CONFIRMED);
        await visible(pc, '#done');
        await waitForText(pc, '#logged-in', user.realname);
      },
      FAR_AWAY,
    );
  });

  test("the phone signs the PC out from its signed-in devices page", { timeout: TEST_MS }, async () => {
    const user = await freshUser();
    await withDevices('devices', async ({ pc, phone }) => {
      await showAndScan({ pc, phone }, user);
      await phone.click('#confirm');
      await visible(pc, '#done');
      const pcMe = () => pc.evaluate(async () => (await fetch('/api/user/me')).status);
      assert.equal(await pcMe(), 200);

      // From the phone page's link to the devices page.
      await phone.click('a[href="/account/devices"]');
      await visible(phone, '#list');
      const pcEntry = phone.locator('#devices li[data-method="qrcode"]');
      assert.equal(await pcEntry.count(), 1, "the PC's QR login is listed");
      const pcText = await pcEntry.innerText();
      assert.match(pcText, /QR code/);
      assert.match(pcText, /127\.0\.0\.1/);
      assert.match(pcText, /computer/);
      const own = phone.locator('#devices li', { has: phone.locator('.badge') });
      assert.match(await own.innerText(), /this device/);
      assert.match(await own.innerText(), /password/);

      await pcEntry.locator('button.revoke').click();
      await waitForText(phone, '#result', 'Signed out');
      await pcEntry.waitFor({ state: 'detached' });
      assert.equal(await pcMe(), 401, 'the PC is signed out on the spot');
      // The phone itself stays signed in.
      const phoneMe = await phone.evaluate(async () => (await fetch('/api/user/me')).status);
      assert.equal(phoneMe, 200);
    });
  });
});
