// The PC side of the QR-code login: show a code, long-poll its state, end logged in.
'use strict';

const $ = (id) => document.getElementById(id);
const WAIT_SECONDS = 25;
let current = null; // { id, token, status }

function show(text) {
  $('status').textContent = text;
}

function offerNewCode(text) {
  show(text);
  $('new-code').hidden = false;
  $('qr-image').style.opacity = '0.2';
  // The old code is dead: do not offer its link any more.
  $('confirm-link').removeAttribute('href');
  $('confirm-link').textContent = '(expired)';
}

async function generate() {
  $('new-code').hidden = true;
  $('error').hidden = true;
  $('qr-image').style.opacity = '1';
  show('Preparing a code…');
  const response = await fetch('/api/qrcode/generate', { method: 'POST' });
  const body = await response.json();
  if (body.errno !== 0) {
    throw new Error(body.message || 'could not make a code');
  }
  const data = body.data;
  current = { id: data.qrcode_id, token: data.poll_token, status: 'unscanned' };
  $('qr-image').src = data.image_url;
  $('confirm-link').href = data.confirm_url;
  $('confirm-link').textContent = data.confirm_url;
  show('Scan the code with the qblog app on your phone.');
  poll(current).catch(fail);
}

async function poll(code) {
  while (current === code) {
    let body;
    try {
      const query = new URLSearchParams({
        id: code.id, token: code.token, since: code.status, wait: String(WAIT_SECONDS),
      });
      const response = await fetch('/api/qrcode/check?' + query.toString(), { cache: 'no-store' });
      body = await response.json();
    } catch (err) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      continue;
    }
    if (body.errno !== 0) {
      if (body.code === 'too_many_requests') {
        await new Promise((resolve) => setTimeout(resolve, 5000));
        continue;
      }
      offerNewCode(body.message || 'Something went wrong.');
      return;
    }
    const data = body.data;
    code.status = data.status;
    if (data.status === 'scanned' && data.scanned_by) {
      show('Scanned by ' + data.scanned_by.realname + ' — confirm on your phone.');
    } else if (data.status === 'confirmed' && data.login) {
      await loggedIn();
      return;
    } else if (data.status === 'cancelled') {
      offerNewCode('The login was cancelled on the phone.');
      return;
    } else if (data.status === 'expired') {
      offerNewCode('The code has expired.');
      return;
    }
  }
}

async function loggedIn() {
  // The check that claimed the login set this page's session cookie.
  const response = await fetch('/api/user/me');
  const body = await response.json();
  $('code-card').hidden = true;
  $('done').hidden = false;
  $('logged-in').textContent = body.errno === 0
    ? 'Logged in as ' + body.data.realname + ' (' + body.data.username + ').'
    : 'Logged in.';
}

$('new-code').addEventListener('click', () => {
  generate().catch(fail);
});

function fail(err) {
  $('error').textContent = String(err.message || err);
  $('error').hidden = false;
  $('new-code').hidden = false;
}

generate().catch(fail);
