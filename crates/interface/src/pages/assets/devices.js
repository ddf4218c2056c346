// The user's signed-in devices: one entry per login, each with a button that ends
// it (its cookie and its token stop working at once), and one that ends all others.
'use strict';

const { $, api, browserName, deviceKind, when, fail, onSignIn } = window.qblog;

function say(message) {
  $('error').hidden = true;
  $('result').textContent = message;
  $('result').hidden = false;
}

function line(text, className) {
  const p = document.createElement('p');
  p.textContent = text;
  if (className) p.className = className;
  return p;
}

function render(sessions) {
  const list = $('devices');
  list.replaceChildren();
  for (const session of sessions) {
    const item = document.createElement('li');
    item.dataset.id = session.id;
    item.dataset.method = session.method;
    const title = line(
      browserName(session.user_agent) + ' on a ' + deviceKind(session.user_agent) + ' ',
      'status',
    );
    if (session.current) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = 'this device';
      title.append(badge);
    }
    item.append(
      title,
      line((session.method === 'qrcode' ? 'Logged in with a QR code' : 'Logged in with a password') +
        ' from ' + session.ip + ' on ' + when(session.created_at) + '.'),
      line('Last used ' + when(session.last_seen_at) + '.', 'muted'),
      line(session.user_agent, 'muted'),
    );
    const button = document.createElement('button');
    button.className = 'danger revoke';
    button.textContent = session.current ? 'Sign out here' : 'Sign out';
    button.addEventListener('click', () => revoke(session).catch(fail));
    item.append(button);
    list.append(item);
  }
  $('revoke-others').hidden = sessions.length < 2;
  $('list').hidden = false;
}

async function load() {
  const body = await api('/api/user/sessions');
  if (body.errno !== 0) {
    if (body.code === 'unauthenticated') {
      $('list').hidden = true;
      $('login-form').hidden = false;
      return;
    }
    fail(body.message);
    return;
  }
  render(body.data);
}

async function revoke(session) {
  const body = await api('/api/user/sessions/revoke', { id: session.id });
  if (body.errno !== 0) {
    fail(body.message);
    return;
  }
  if (session.current) {
    say('Signed out on this device.');
    $('list').hidden = true;
    return;
  }
  say('Signed out: ' + browserName(session.user_agent) + ' from ' + session.ip + '.');
  await load();
}

$('revoke-others').addEventListener('click', async () => {
  const body = await api('/api/user/sessions/revoke-others', {});
  if (body.errno !== 0) {
    fail(body.message);
    return;
  }
  say('Signed out on ' + body.data.revoked + ' other device(s).');
  await load();
});

onSignIn(() => load());

load().catch(fail);
