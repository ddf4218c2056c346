// Helpers shared by qblog's pages: element lookup, JSON calls, names for browsers.
'use strict';

window.qblog = (() => {
  const $ = (id) => document.getElementById(id);

  /** Calls the API (GET without a body, POST with one) and returns the envelope. */
  async function api(path, body) {
    const response = await fetch(path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    return response.json();
  }

  /** A short name for a browser from its User-Agent. */
  function browserName(agent) {
    if (/Edg\//.test(agent)) return 'Edge';
    if (/OPR\/|Opera/.test(agent)) return 'Opera';
    if (/Firefox\//.test(agent)) return 'Firefox';
    if (/Chrome\//.test(agent) || /Chromium\//.test(agent)) return 'Chrome';
    if (/Safari\//.test(agent)) return 'Safari';
    if (!agent) return 'an unnamed client';
    return 'another browser';
  }

  /** A device's kind from its User-Agent. */
  function deviceKind(agent) {
    if (/Android|iPhone|iPad|Mobile/.test(agent)) return 'phone or tablet';
    if (/Windows|Macintosh|X11|Linux|CrOS/.test(agent)) return 'computer';
    return 'device';
  }

  /** Milliseconds since the epoch as local date and time. */
  const when = (millis) => new Date(millis).toLocaleString();

  /** Shows `message` in the page's #error. */
  function fail(message) {
    $('error').textContent = String(message);
    $('error').hidden = false;
  }

  /** Wires the page's #login-form: a successful sign-in hides it and calls `then`
   * with the user. */
  function onSignIn(then) {
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
      await then(body.data);
    });
  }

  return { $, api, browserName, deviceKind, when, fail, onSignIn };
})();
