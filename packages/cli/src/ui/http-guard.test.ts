import { describe, expect, it } from 'vitest';
import { checkRequest, cookieName, csrfOk, hostAllowed, type GuardSecrets } from './http-guard.js';

const s: GuardSecrets = { port: 4321, token: 'tok-abcdefghijklmnop', csrf: 'csrf-abcdefghijklmnop' };
const host = { host: '127.0.0.1:4321' };
const cookie = { ...host, cookie: `other=1; ${cookieName(4321)}=${s.token}` };

describe('the dashboard guard', () => {
  it('answers only to 127.0.0.1:PORT and localhost:PORT', () => {
    expect(hostAllowed('127.0.0.1:4321', 4321)).toBe(true);
    expect(hostAllowed('LOCALHOST:4321', 4321)).toBe(true);
    for (const h of [undefined, '', '127.0.0.1', '127.0.0.1:80', 'evil.example:4321', '127.0.0.1.evil.example:4321', '[::1]:4321']) expect(hostAllowed(h, 4321)).toBe(false);
    expect(checkRequest({ method: 'GET', url: `/?token=${s.token}`, headers: { host: 'evil.example:4321' } }, s)).toMatchObject({ kind: 'refuse', status: 403 });
  });

  it('logs in with the token in the URL: a cookie, and the same address without it', () => {
    const v = checkRequest({ method: 'GET', url: `/queue?project=%2Fp&token=${s.token}&name=q`, headers: host }, s);
    expect(v).toEqual({ kind: 'login', location: '/queue?project=%2Fp&name=q', cookie: `${cookieName(4321)}=${s.token}; HttpOnly; SameSite=Strict; Path=/` });
  });

  it('refuses a request without the token, with a wrong one, or with another port\'s cookie', () => {
    expect(checkRequest({ method: 'GET', url: '/', headers: host }, s)).toMatchObject({ kind: 'refuse', status: 403 });
    expect(checkRequest({ method: 'GET', url: '/?token=nope', headers: host }, s)).toMatchObject({ kind: 'refuse', status: 403 });
    expect(checkRequest({ method: 'GET', url: '/', headers: { ...host, cookie: `${cookieName(4322)}=${s.token}` } }, s)).toMatchObject({ kind: 'refuse' });
    expect(checkRequest({ method: 'GET', url: '/static/app.js', headers: cookie }, s)).toEqual({ kind: 'ok' });
    expect(checkRequest({ method: 'GET', url: '/', headers: { ...host, authorization: `Bearer ${s.token}` } }, s)).toEqual({ kind: 'ok' });
  });

  it('takes a change only from its own pages, and only with the CSRF token', () => {
    const post = (headers: Record<string, string>) => checkRequest({ method: 'POST', url: '/act/escalation/1', headers: { ...cookie, ...headers } }, s);
    expect(post({})).toEqual({ kind: 'ok' });
    expect(post({ origin: 'http://127.0.0.1:4321', 'sec-fetch-site': 'same-origin' })).toEqual({ kind: 'ok' });
    expect(post({ origin: 'http://evil.example' })).toMatchObject({ kind: 'refuse', status: 403 });
    expect(post({ 'sec-fetch-site': 'cross-site' })).toMatchObject({ kind: 'refuse', status: 403 });
    // The token in a POST's URL does not log in.
    expect(checkRequest({ method: 'POST', url: `/act/x?token=${s.token}`, headers: host }, s)).toMatchObject({ kind: 'refuse' });
    const r = { method: 'POST', url: '/act/escalation/1', headers: cookie };
    expect(csrfOk(r, null, s)).toBe(false);
    expect(csrfOk(r, 'wrong', s)).toBe(false);
    expect(csrfOk(r, s.csrf, s)).toBe(true);
    expect(csrfOk({ ...r, headers: { ...cookie, 'x-oj-csrf': s.csrf } }, null, s)).toBe(true);
    expect(csrfOk(r, s.token, s)).toBe(false);
  });

  it('allows GET, HEAD and POST only', () => {
    expect(checkRequest({ method: 'PUT', url: '/', headers: cookie }, s)).toMatchObject({ kind: 'refuse', status: 405 });
    expect(checkRequest({ method: 'OPTIONS', url: '/', headers: cookie }, s)).toMatchObject({ kind: 'refuse', status: 405 });
  });
});
