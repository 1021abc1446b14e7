import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonMethods } from '@oj/protocol';
import winston from 'winston';
import { afterEach, describe, expect, it } from 'vitest';
import { RpcRouter } from './rpc-router.js';
import { SocketServer } from './socket-server.js';

const logger = winston.createLogger({ silent: true });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(beforeOutput: () => void): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'oj-sock-'));
  const path = join(dir, 's.sock');
  const router = new RpcRouter(logger);
  router.handle(DaemonMethods.Ping, () => ({ pong: true as const, time: new Date(0).toISOString() }));
  const server = new SocketServer(router, logger, path, beforeOutput);
  await server.listen();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => server.close());
  return path;
}

/** Sends lines; resolves with what came back by the time the server closed the connection or `lines` answers arrived. */
function exchange(path: string, lines: string[], answers: number, log: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const got: string[] = [];
    let buf = '';
    const s = net.connect(path, () => s.write(lines.join('')));
    s.on('data', (d) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        got.push(buf.slice(0, i));
        log.push('answer');
        buf = buf.slice(i + 1);
      }
      if (got.length >= answers) {
        s.end();
        resolve(got);
      }
    });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

const ping = (id: number) => `${JSON.stringify({ jsonrpc: '2.0', id, method: 'daemon.ping' })}\n`;

describe('SocketServer output', () => {
  it('runs beforeOutput once per batch of answers, before they are written', async () => {
    const log: string[] = [];
    const path = await serve(() => log.push('durable'));
    const got = await exchange(path, [ping(1), ping(2), ping(3)], 3, log);
    expect(got.map((l) => (JSON.parse(l) as { id: number }).id)).toEqual([1, 2, 3]);
    expect(log[0]).toBe('durable');
    expect(log.filter((x) => x === 'durable').length).toBeLessThanOrEqual(3);
    expect(log.indexOf('answer')).toBeGreaterThan(log.indexOf('durable'));
  });

  it('sends nothing and closes the connection when beforeOutput fails', async () => {
    const path = await serve(() => {
      throw new Error('disk I/O error');
    });
    const got = await exchange(path, [ping(1)], 1, []);
    expect(got).toEqual([]);
  });
});

describe('SocketServer at its connection limit', () => {
  it('a refused client that had written a request gives its slot back: once idle ones can go, a newcomer is served', async () => {
    const path = await serve(() => {});
    const open = (request: string | null) =>
      new Promise<net.Socket>((resolve) => {
        const s = net.connect(path);
        s.on('error', () => {});
        s.resume();
        s.once('connect', () => {
          if (request) s.write(request);
          resolve(s);
        });
        s.once('error', () => resolve(s));
      });
    // 500 idle, then 28 that each write a request: 12 get in, 16 are refused in words (each having written first).
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 500; i++) sockets.push(await open(null));
    for (let i = 0; i < 28; i++) sockets.push(await open(ping(i)));
    cleanups.push(() => sockets.forEach((s) => s.destroy()));
    // The idle ones become evictable after a second; a newcomer must then get in (before, the refused
    // ones kept their slots for good and every newcomer was dropped at accept).
    const deadline = Date.now() + 20_000;
    let answer: string[] = [];
    while (Date.now() < deadline) {
      // Refused in words (too many connections) until the idle ones have been idle long enough.
      answer = await exchange(path, [ping(99)], 1, []);
      if (answer.length === 1 && 'result' in (JSON.parse(answer[0]!) as object)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(JSON.parse(answer[0] ?? 'null')).toMatchObject({ id: 99, result: { pong: true } });
  }, 60_000);
});
