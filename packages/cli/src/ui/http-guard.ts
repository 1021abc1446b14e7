/**
 * Who may talk to the dashboard (pure). The server listens on 127.0.0.1
 * only; on top of that every request must
 *  - name it by `127.0.0.1:PORT` or `localhost:PORT` in its Host header (a
 *    page of another site that rebinds its DNS name to 127.0.0.1 sends its
 *    own name: refused);
 *  - carry the per-start token: in the URL once (`?token=`, answered with a
 *    cookie and a redirect to the same address without it, as Jupyter does),
 *    then by that cookie (HttpOnly, SameSite=Strict), or as
 *    `Authorization: Bearer TOKEN` from a script;
 *  - and, to change anything (POST), come from the dashboard's own pages
 *    (Origin and Sec-Fetch-Site, when the browser sends them) with the CSRF
 *    token those pages carry (checked by csrfOk once the body is read).
 * No CORS header is ever sent, so no other origin can read an answer.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface GuardSecrets {
  port: number;
  /** The login token (in the printed URL). */
  token: string;
  /** What a state-changing request must carry (in the pages, never in a URL). */
  csrf: string;
}

export interface GuardRequest {
  method: string;
  /** The request target as sent: path and query. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export type Verdict =
  | { kind: 'ok' }
  /** The token came in the URL: set the cookie and send the browser to the same address without it. */
  | { kind: 'login'; location: string; cookie: string }
  | { kind: 'refuse'; status: 403 | 405; reason: string };

/** The cookie holding the token; named by port, since browsers share cookies between the ports of a host. */
export function cookieName(port: number): string {
  return `oj_ui_${port}`;
}

export function sameSecret(given: string | null | undefined, expected: string): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  // Hashes have the same length, so the comparison takes the same time whatever was given.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function header(h: GuardRequest['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The names the dashboard answers to: 127.0.0.1 and localhost, on its port. */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const h = host.toLowerCase();
  return h === `127.0.0.1:${port}` || h === `localhost:${port}`;
}

function cookieToken(h: GuardRequest['headers'], port: number): string | null {
  const raw = header(h, 'cookie');
  if (!raw) return null;
  const name = cookieName(port);
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function bearerToken(h: GuardRequest['headers']): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(header(h, 'authorization') ?? '');
  return m ? m[1]! : null;
}

/** A state-changing request from a page of this dashboard, as far as the browser tells. */
function fromOwnPage(h: GuardRequest['headers'], port: number): boolean {
  const origin = header(h, 'origin');
  if (origin !== undefined && origin !== `http://127.0.0.1:${port}` && origin !== `http://localhost:${port}`) return false;
  const site = header(h, 'sec-fetch-site');
  return site === undefined || site === 'same-origin' || site === 'none';
}

export function checkRequest(r: GuardRequest, s: GuardSecrets): Verdict {
  if (!hostAllowed(header(r.headers, 'host'), s.port)) {
    return { kind: 'refuse', status: 403, reason: `this dashboard answers only to 127.0.0.1:${s.port} and localhost:${s.port}` };
  }
  if (r.method !== 'GET' && r.method !== 'HEAD' && r.method !== 'POST') return { kind: 'refuse', status: 405, reason: `${r.method} is not allowed` };
  const url = new URL(r.url, `http://127.0.0.1:${s.port}`);
  const inUrl = url.searchParams.get('token');
  if (inUrl !== null && r.method === 'GET') {
    if (!sameSecret(inUrl, s.token)) return { kind: 'refuse', status: 403, reason: 'wrong token: run oj ui --print-url for the address' };
    url.searchParams.delete('token');
    const cookie = `${cookieName(s.port)}=${s.token}; HttpOnly; SameSite=Strict; Path=/`;
    return { kind: 'login', location: url.pathname + url.search, cookie };
  }
  const given = cookieToken(r.headers, s.port) ?? bearerToken(r.headers);
  if (!sameSecret(given, s.token)) return { kind: 'refuse', status: 403, reason: 'no token: open the address oj ui --print-url prints' };
  if (r.method === 'POST' && !fromOwnPage(r.headers, s.port)) return { kind: 'refuse', status: 403, reason: 'a change must come from a page of this dashboard' };
  return { kind: 'ok' };
}

/** A state-changing request's CSRF token (the X-OJ-CSRF header, or the form's `csrf` field). */
export function csrfOk(r: GuardRequest, field: string | null, s: GuardSecrets): boolean {
  return sameSecret(header(r.headers, 'x-oj-csrf') ?? field, s.csrf);
}

/** Headers of every answer: no framing, no sniffing, no referrer (the URL may hold the token), scripts only from here. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
