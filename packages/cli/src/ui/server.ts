/**
 * The dashboard's HTTP server, on 127.0.0.1 only: every request passes the
 * guard (Host, token, origin: http-guard.ts) before anything else; pages are
 * made on the server from RPC answers (they read without the script), the
 * live streams are server-sent events, and changes are POSTs with the CSRF
 * token (actions.ts).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, OjError } from '@oj/protocol/client';
import { BadAction, runAction } from './actions.js';
import { asset } from './assets.js';
import { DaemonDown, type DaemonLink } from './daemon-link.js';
import { SECURITY_HEADERS, checkRequest, csrfOk, type GuardSecrets } from './http-guard.js';
import { liveEvents, liveLog, liveTerminal } from './live-streams.js';
import { eventsPage } from './pages/events.js';
import { layout, problemPage } from './pages/layout.js';
import { overviewPage } from './pages/overview.js';
import type { Page, PageContext } from './pages/page.js';
import { pipelinePage } from './pages/pipeline.js';
import { PageNotFound, queuePage } from './pages/queue.js';
import { sessionPage } from './pages/session.js';
import { SseStream } from './sse.js';

export interface ServerOptions {
  /** 0: any free port. */
  port: number;
  link: DaemonLink;
  log(message: string): void;
}

export interface DashboardServer {
  port: number;
  token: string;
  close(): Promise<void>;
}

const MAX_FORM_BYTES = 64 * 1024;

export async function startServer(o: ServerOptions): Promise<DashboardServer> {
  const secrets: GuardSecrets = { port: 0, token: randomBytes(24).toString('base64url'), csrf: randomBytes(24).toString('base64url') };
  const streams = new Set<SseStream>();
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      o.log(`request failed: ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error: see the dashboard log (ui.out in the state directory)');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  secrets.port = (server.address() as AddressInfo).port;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const verdict = checkRequest({ method, url: req.url ?? '/', headers: req.headers }, secrets);
    if (verdict.kind === 'refuse') return send(res, verdict.status, 'text/plain; charset=utf-8', `${verdict.status}: ${verdict.reason}\n`);
    if (verdict.kind === 'login') {
      res.writeHead(303, { ...SECURITY_HEADERS, Location: verdict.location, 'Set-Cookie': verdict.cookie });
      return void res.end();
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${secrets.port}`);
    const path = url.pathname;
    const m = (re: RegExp) => re.exec(path)?.slice(1).map(decodeURIComponent) ?? null;
    if (method === 'POST') {
      const act = /^\/act\/(.+)$/.exec(path);
      if (!act) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      return action(req, res, act[1]!.split('/').map(decodeURIComponent));
    }
    let p: string[] | null;
    if ((p = m(/^\/static\/([\w.-]+)$/))) {
      const a = asset(p[0]!);
      return a ? send(res, 200, a.type, a.body) : send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
    if (path === '/live/events') {
      // A page's own reconnect says `since`; the browser's says Last-Event-ID: the later wins.
      const ids = [url.searchParams.get('since'), header(req, 'last-event-id')].filter((x): x is string => !!x && /^\d+$/.test(x)).map(Number);
      return void liveEvents(o.link, stream(req, res), {
        since: ids.length ? Math.max(...ids) : null,
        ...(url.searchParams.get('name') ? { name: url.searchParams.get('name')! } : {}),
        ...(url.searchParams.get('project') ? { project: url.searchParams.get('project')! } : {}),
      });
    }
    if ((p = m(/^\/live\/pipeline\/([^/]+)$/))) {
      const run = url.searchParams.get('run');
      const offset = url.searchParams.get('offset');
      const from = run && /^\d+$/.test(run) && offset && /^\d+$/.test(offset) ? { run: Number(run), offset: Number(offset) } : null;
      return void liveLog(o.link, stream(req, res), p[0]!, from);
    }
    if ((p = m(/^\/live\/session\/([^/]+)$/))) return void liveTerminal(o.link, stream(req, res), p[0]!);
    const c: PageContext = { link: o.link, query: url.searchParams, csrf: secrets.csrf, here: path + url.search, now: Date.now() };
    if (path === '/') return page(res, () => overviewPage(c));
    if (path === '/events') return page(res, () => eventsPage(c));
    if (path === '/queue') return page(res, () => queuePage(c));
    if ((p = m(/^\/pipeline\/([^/]+)$/))) return page(res, () => pipelinePage(c, p![0]!));
    if ((p = m(/^\/session\/([^/]+)$/))) return page(res, () => sessionPage(c, p![0]!));
    return page(res, () => Promise.reject(new PageNotFound(`nothing at ${path}`)));
  }

  function stream(req: IncomingMessage, res: ServerResponse): SseStream {
    const s = new SseStream(req, res, SECURITY_HEADERS);
    streams.add(s);
    s.signal.addEventListener('abort', () => streams.delete(s));
    return s;
  }

  async function page(res: ServerResponse, make: () => Promise<Page>): Promise<void> {
    let status = 200;
    let p: Page;
    try {
      p = await make();
    } catch (err) {
      const [code, title] = problemOf(err);
      status = code;
      p = problemPage(title, err instanceof Error ? err.message : String(err), '/');
      if (err instanceof DaemonDown) p.retry = true;
    }
    send(res, status, 'text/html; charset=utf-8', layout(p, secrets.csrf).text);
  }

  async function action(req: IncomingMessage, res: ServerResponse, parts: string[]): Promise<void> {
    const wantsJson = (header(req, 'accept') ?? '').includes('application/json');
    let form: URLSearchParams;
    try {
      form = new URLSearchParams(await readBody(req));
    } catch (err) {
      return send(res, 413, 'text/plain; charset=utf-8', `${(err as Error).message}\n`);
    }
    if (!csrfOk({ method: 'POST', url: req.url ?? '/', headers: req.headers }, form.get('csrf'), secrets)) {
      return send(res, 403, 'text/plain; charset=utf-8', '403: the form is missing its CSRF token (reload the page)\n');
    }
    const back = safeBack(form.get('back'));
    try {
      const message = await runAction(o.link, { parts, form });
      if (wantsJson) return send(res, 200, 'application/json', JSON.stringify({ ok: true, message }));
      res.writeHead(303, { ...SECURITY_HEADERS, Location: back });
      res.end();
    } catch (err) {
      const [code, title] = err instanceof BadAction ? [400, 'Bad request'] : problemOf(err);
      const message = err instanceof Error ? err.message : String(err);
      if (wantsJson) return send(res, code, 'application/json', JSON.stringify({ ok: false, error: message }));
      send(res, code, 'text/html; charset=utf-8', layout(problemPage(title, message, back), secrets.csrf).text);
    }
  }

  return {
    port: secrets.port,
    token: secrets.token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** An HTTP status and a title for what went wrong. */
function problemOf(err: unknown): [number, string] {
  if (err instanceof PageNotFound) return [404, 'Not found'];
  if (err instanceof DaemonDown) return [503, 'The daemon is not answering'];
  if (!(err instanceof OjError)) throw err;
  switch (err.code) {
    case ErrorCode.NotFound:
    case ErrorCode.ProjectNotFound:
      return [404, 'Not found'];
    case ErrorCode.InvalidParams:
    case ErrorCode.BadArguments:
    case ErrorCode.Ambiguous:
      return [400, 'Bad request'];
    case ErrorCode.IllegalState:
    case ErrorCode.AlreadyExists:
      return [409, 'Not now'];
    case ErrorCode.Unavailable:
      return [503, 'The daemon is not answering'];
    default:
      return [500, 'The daemon refused'];
  }
}

/** Where to send the browser after a form: a path of this dashboard, never elsewhere. */
function safeBack(back: string | null): string {
  return back && back.startsWith('/') && !back.startsWith('//') && !back.includes('\\') ? back : '/';
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM_BYTES) {
        reject(new Error(`a form may be at most ${MAX_FORM_BYTES} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
