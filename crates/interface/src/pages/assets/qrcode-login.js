// The PC side of the QR-code login: show a code and the time it has left, long-poll
// its state (the poll token in a header, never in the URL), show the match code when
// the phone must type it, end logged in. An expired code is replaced by a fresh one
// while the page is in view, a few times; then a button offers one.
'use strict';

const { $, api } = window.qblog;
const WAIT_SECONDS = 25;
const AUTO_REFRESHES = 3;
let current = null; // { id, token, status, deadline }
let refreshesLeft = AUTO_REFRESHES;

function show(text) {
  $('status').textContent = text;
}

function showMatchCode(code) {
  $('match').hidden = !code;
  $('match-code').textContent = code || '';
}

// The time left, ticking locally between the server's answers.
function tick() {
  if (!current || !current.deadline) {
    $('time-left').textContent = '';
    return;
  }
  const seconds = Math.max(0, Math.round((current.deadline - Date.now()) / 1000));
  const minutes = Math.floor(seconds / 60);
  $('time-left').textContent =
    'This code expires in ' + minutes + ':' + String(seconds % 60).padStart(2, '0') + '.';
}
setInterval(tick, 1000);

function setTimeLeft(code, expiresIn) {
  code.deadline = Date.now() + expiresIn * 1000;
  tick();
}

function offerNewCode(text) {
  show(text);
  showMatchCode(null);
  current = null;
  tick();
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
  showMatchCode(null);
  show('Preparing a code…');
  const response = await fetch('/api/qrcode/generate', { method: 'POST', cache: 'no-store' });
  const body = await response.json();
  if (body.errno !== 0) {
    throw new Error(body.message || 'could not make a code');
  }
  const data = body.data;
  current = { id: data.qrcode_id, token: data.poll_token, status: 'unscanned' };
  setTimeLeft(current, data.expires_in);
  $('qr-image').src = data.image_url;
  $('confirm-link').href = data.confirm_url;
  $('confirm-link').textContent = data.confirm_url;
  show('Scan the code with the qblog app on your phone.');
  poll(current).catch(fail);
}

async function check(code) {
  const query = new URLSearchParams({ id: code.id, since: code.status, wait: String(WAIT_SECONDS) });
  const response = await fetch('/api/qrcode/check?' + query.toString(), {
    cache: 'no-store',
    headers: { 'X-Poll-Token': code.token },
  });
  return response.json();
}

async function poll(code) {
  while (current === code) {
    let body;
    try {
      body = await check(code);
    } catch (err) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      continue;
    }
    if (current !== code) return;
    if (body.errno !== 0) {
      if (body.code === 'too_many_requests' || body.code === 'unavailable') {
        await new Promise((resolve) => setTimeout(resolve, 5000));
        continue;
      }
      offerNewCode(body.message || 'Something went wrong.');
      return;
    }
    const data = body.data;
    const before = code.status;
    code.status = data.status;
    setTimeLeft(code, data.expires_in);
    showMatchCode(data.status === 'scanned' ? data.match_code : null);
    if (data.status === 'scanned' && data.scanned_by) {
      show(data.match_code
        ? 'Scanned by ' + data.scanned_by.realname + '. Enter the number below on your phone, then confirm there.'
        : 'Scanned by ' + data.scanned_by.realname + ' — confirm on your phone.');
    } else if (data.status === 'confirmed' && data.login) {
      await loggedIn();
      return;
    } else if (data.status === 'cancelled') {
      offerNewCode('The login was cancelled on the phone.');
      return;
    } else if (data.status === 'expired') {
      if (before === 'unscanned' && refreshesLeft > 0 && document.visibilityState === 'visible') {
        refreshesLeft -= 1;
        await generate();
        return;
      }
      offerNewCode('The code has expired.');
      return;
    }
  }
}

async function loggedIn() {
  // The check that claimed the login set this page's session cookie.
  const body = await api('/api/user/me');
  current = null;
  tick();
  $('code-card').hidden = true;
  $('done').hidden = false;
  $('logged-in').textContent = body.errno === 0
    ? 'Logged in as ' + body.data.realname + ' (' + body.data.username + ').'
    : 'Logged in.';
}

$('new-code').addEventListener('click', () => {
  refreshesLeft = AUTO_REFRESHES;
  generate().catch(fail);
});

function fail(err) {
  $('error').textContent = String(err.message || err);
  $('error').hidden = false;
  $('new-code').hidden = false;
}

generate().catch(fail);
