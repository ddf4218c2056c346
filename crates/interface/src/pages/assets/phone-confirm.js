// The phone side of the QR-code login: sign in if needed, scan, show who asks,
// confirm or cancel.
'use strict';

const $ = (id) => document.getElementById(id);
const qrcodeId = new URLSearchParams(location.search).get('id') || '';

function fail(message) {
  $('error').textContent = message;
  $('error').hidden = false;
}

function finish(message) {
  $('request').hidden = true;
  $('result').textContent = message;
  $('result').hidden = false;
}

async function api(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
}

// A short name for the asking browser; the full User-Agent is shown below it.
function browserName(agent) {
  if (/Edg\//.test(agent)) return 'Edge';
  if (/OPR\/|Opera/.test(agent)) return 'Opera';
  if (/Firefox\//.test(agent)) return 'Firefox';
  if (/Chrome\//.test(agent) || /Chromium\//.test(agent)) return 'Chrome';
  if (/Safari\//.test(agent)) return 'Safari';
  return 'another browser';
}

async function scan(me) {
  const body = await api('/api/qrcode/scan', { qrcode_id: qrcodeId });
  if (body.errno !== 0) {
    fail(body.message || 'Could not scan this code.');
    return;
  }
  const pc = body.data.pc;
  $('me').textContent = me.realname;
  $('pc-ip').textContent = pc.ip;
  $('pc-browser').textContent = browserName(pc.user_agent);
  $('pc-time').textContent = new Date(pc.created_at).toLocaleString();
  $('pc-agent').textContent = pc.user_agent;
  $('request').hidden = false;
}

async function decide(action) {
  $('confirm').disabled = true;
  $('cancel').disabled = true;
  const body = await api('/api/qrcode/' + action, { qrcode_id: qrcodeId });
  if (body.errno !== 0) {
    fail(body.message || 'That did not work.');
    // A passing fault (the network, a 503) can be retried; a final answer cannot.
    const final = ['qrcode_expired', 'qrcode_state_conflict', 'forbidden'].includes(body.code);
    $('confirm').disabled = final;
    $('cancel').disabled = final;
    return;
  }
  finish(action === 'confirm'
    ? 'Confirmed. The computer is now logged in.'
    : 'Cancelled. The computer was not logged in.');
}

async function start() {
  const me = await api('/api/user/me');
  if (me.errno === 0) {
    await scan(me.data);
    return;
  }
  $('login-form').hidden = false;
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('error').hidden = true;
  const body = await api('/api/user/login', {
    username: $('username').value,
    password: $('password').value,
  });
  if (body.errno !== 0) {
    fail(body.message || 'Could not sign in.');
    return;
  }
  $('login-form').hidden = true;
  await scan(body.data);
});

function retryable(e) {
  fail(String(e));
  $('confirm').disabled = false;
  $('cancel').disabled = false;
}

$('confirm').addEventListener('click', () => decide('confirm').catch(retryable));
$('cancel').addEventListener('click', () => decide('cancel').catch(retryable));

start().catch((e) => fail(String(e)));
