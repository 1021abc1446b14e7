/**
 * What a page hears live, each relayed from a follow on a daemon connection
 * of its own (the same methods as `oj events --follow`, `oj pipeline follow`
 * and `oj session attach --read-only`). When the daemon goes away the page
 * hears `daemon {up:false}`; once it is back the follow starts again from
 * where the page was (events by id, a log by run and byte offset, a terminal
 * with its screen anew), then `daemon {up:true}`.
 */
import { ErrorCode, EventMethods, OjError, PipelineMethods, SessionMethods } from '@oj/protocol/client';
import type { RpcConnection } from '../client/rpc-connection.js';
import type { DaemonLink } from './daemon-link.js';
import type { SseStream } from './sse.js';
import { plainText } from './plain-text.js';

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

/** Runs `subscribe` on a fresh connection, and again after each daemon restart, until the page goes. */
async function relay(link: DaemonLink, sse: SseStream, subscribe: (conn: RpcConnection) => Promise<void>): Promise<void> {
  while (!sse.closed) {
    await link.whenUp(sse.signal);
    const conn = sse.closed ? null : await link.open();
    if (!conn) {
      await pause(500, sse.signal);
      continue;
    }
    const closed = new Promise<void>((resolve) => conn.onClose(() => resolve()));
    const gone = new Promise<void>((resolve) => sse.signal.addEventListener('abort', () => resolve(), { once: true }));
    try {
      await subscribe(conn);
      sse.send('daemon', { up: true });
    } catch (err) {
      conn.close();
      if (err instanceof OjError && err.code !== ErrorCode.Unavailable) {
        // Refused (no such pipeline or session...): the page is told why and stops listening.
        sse.send('problem', { message: err.message });
        sse.close();
        return;
      }
    }
    await Promise.race([closed, gone]);
    conn.close();
    if (!sse.closed) sse.send('daemon', { up: false });
  }
}

export interface EventFilter {
  /** The last event the page has (its id); null: only what happens from now on. */
  since: number | null;
  name?: string;
  project?: string;
}

/** `oj` events as they are recorded: id, name, subject, project, time (each page fetches what it shows). */
export function liveEvents(link: DaemonLink, sse: SseStream, f: EventFilter): Promise<void> {
  let since = f.since;
  return relay(link, sse, async (conn) => {
    conn.onNotification(EventMethods.EventNotification, ({ event }) => {
      if (since !== null && event.id <= since) return;
      since = event.id;
      sse.send('oj', { id: event.id, name: event.name, subject: event.subject, project: event.project, time: event.time }, event.id);
    });
    const r = await conn.call(EventMethods.Follow, {
      ...(since !== null ? { since } : {}),
      ...(f.name ? { name: f.name } : {}),
      ...(f.project ? { project: f.project } : {}),
    });
    since ??= r.lastId;
  });
}

/** A pipeline's phase output from run `run` at byte `offset` (or from what it prints next), and its status changes. */
export function liveLog(link: DaemonLink, sse: SseStream, key: string, from: { run: number; offset: number } | null): Promise<void> {
  let at = from;
  return relay(link, sse, async (conn) => {
    conn.onNotification(PipelineMethods.Update, ({ update }) => {
      switch (update.kind) {
        case 'output': {
          const bytes = Buffer.byteLength(update.data);
          at = at && at.run === update.run ? { run: at.run, offset: at.offset + bytes } : { run: update.run, offset: bytes };
          // Where the page is now: a page that reconnects by itself starts there.
          sse.send('output', { run: update.run, phase: update.phase, text: plainText(update.data), offset: at.offset });
          break;
        }
        case 'status':
          sse.send('status', { status: update.pipeline.status, phase: update.pipeline.phase });
          break;
        case 'output_stopped':
          sse.send('stopped', { reason: update.reason });
          break;
      }
    });
    await conn.call(PipelineMethods.Follow, { id: key, ...(at ? { from: at } : {}) });
  });
}

/** An agent session's terminal: its screen on (re)attaching, then its output, as `oj session attach --read-only` sees it. */
export function liveTerminal(link: DaemonLink, sse: SseStream, id: string): Promise<void> {
  return relay(link, sse, async (conn) => {
    // Output heard before the screen is held back until it is sent.
    let held: string[] | null = [];
    conn.onNotification(SessionMethods.Output, ({ data }) => (held ? held.push(data) : sse.send('output', data)));
    conn.onNotification(SessionMethods.Ended, ({ exitCode }) => sse.send('ended', { exitCode }));
    const r = await conn.call(SessionMethods.Attach, { id });
    sse.send('screen', { screen: r.screen, cursor: r.cursor, cols: r.cols, rows: r.rows, session: r.session });
    const waiting = held;
    held = null;
    for (const data of waiting) sse.send('output', data);
  });
}
