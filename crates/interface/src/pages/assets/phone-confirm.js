// The phone side of the QR-code login: sign in if needed, scan, show who asks (IP,
// browser, time, network), ask for the PC's number when the server requires it, and
// confirm or cancel.
'use strict';

const { $, api, browserName, when, fail, onSignIn } = window.qblog;
const qrcodeId = new URLSearchParams(location.search).get('id') || '';
let matchRequired = false;

function finish(message) {
  $('request').hidden = true;
  $('error').hidden = true;
  $('result').textContent = message;
  $('result').hidden = false;
}

async function scan(me) {
  const body = await api('/api/qrcode/scan', { qrcode_id: qrcodeId });
  if (body.errno !== 0) {
    fail(body.message || 'Could not scan this code.');
    return;
  }
  const pc = body.data.pc;
  matchRequired = body.data.match_required;
  $('me').textContent = me.realname;
  $('pc-ip').textContent = pc.ip;
  $('pc-browser').textContent = browserName(pc.user_agent);
  $('pc-time').textContent = when(pc.created_at);
  $('pc-agent').textContent = pc.user_agent;
  $('network-warning').hidden = pc.same_network;
  $('network-ok').hidden = !pc.same_network;
  $('match').hidden = !matchRequired;
  $('request').hidden = false;
  if (matchRequired) $('match-code').focus();
}

function enable(enabled) {
  $('confirm').disabled = !enabled;
  $('cancel').disabled = !enabled;
}

async function decide(action) {
  enable(false);
  const request = { qrcode_id: qrcodeId };
  if (action === 'confirm' && matchRequired) {
    const digits = $('match-code').value.trim();
    if (!/^[0-9]{2}$/.test(digits)) {
      fail('Enter the two digits the computer shows.');
      enable(true);
      return;
    }
    request.match_code = digits;
  }
  const body = await api('/api/qrcode/' + action, request);
  if (body.errno !== 0) {
    if (body.code === 'match_code_mismatch') {
      $('match-code').value = '';
      if (/cancelled/.test(body.message)) {
        finish('Cancelled: the number did not match three times. The computer was not logged in.');
        return;
      }
      fail(body.message);
      enable(true);
      $('match-code').focus();
      return;
    }
    fail(body.message || 'That did not work.');
    // A passing fault (the network, a 503) can be retried; a final answer cannot.
    const final = ['qrcode_expired', 'qrcode_state_conflict', 'forbidden'].includes(body.code);
    enable(!final);
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

onSignIn((user) => scan(user));

function retryable(e) {
  fail(String(e));
  enable(true);
}

$('confirm').addEventListener('click', () => decide('confirm').catch(retryable));
$('cancel').addEventListener('click', () => decide('cancel').catch(retryable));

start().catch((e) => fail(String(e)));
