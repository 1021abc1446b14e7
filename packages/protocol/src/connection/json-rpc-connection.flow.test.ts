/**
 * JsonRpcConnection: what every side relies on beyond calling and answering
 * (json-rpc-connection.test.ts): errors for every waiting call, requests
 * refused before they are sent, flow control, half-close, batches, and
 * answers never answered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ErrorCode } from '../errors.js';
import type { JsonRpcConnectionOptions } from './connection-options.js';
import { method, notification } from '../rpc.js';
import { JsonRpcConnection, openSocket } from './json-rpc-connection.js';

const Echo = method<{ text: string }>()('test.echo', () => z.object({ text: z.string() }).strict(), 'Echoes.');
const Gate = method<{ n: number }>()('test.gate', () => z.object({ n: z.number() }).strict(), 'Answers when the test opens it.');
const Hello = notification<{ from: string }>()('test.hello', 'A notification to the serving side.');

let dir: string;
let server: Server;
let served: JsonRpcConnection[];
let opened: (() => void)[];
const gates: { n: number; open: () => void }[] = [];
let serverOptions: JsonRpcConnectionOptions<void> = {};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oj-conn-'));
  served = [];
  opened = [];
  gates.length = 0;
  serverOptions = {};
  server = createServer({ allowHalfOpen: true }, (socket) => {
    const conn = new JsonRpcConnection(socket, serverOptions);
    conn.handle(Echo, ({ text }) => ({ text }));
    conn.handle(Gate, ({ n }) => new Promise((resolve) => gates.push({ n, open: () => resolve({ n }) })));
    served.push(conn);
  });
  await new Promise<void>((resolve) => server.listen(join(dir, 's.sock'), resolve));
});

afterEach(async () => {
  for (const close of opened) close();
  for (const conn of served) conn.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function client(options: JsonRpcConnectionOptions<void> = {}): Promise<JsonRpcConnection> {
  const conn = new JsonRpcConnection(await openSocket(join(dir, 's.sock')), options);
  opened.push(() => conn.destroy());
  return conn;
}

async function rawSocket(): Promise<Socket> {
  const socket = createConnection(join(dir, 's.sock'));
  opened.push(() => socket.destroy());
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

/** Lines that came back on a raw socket, parsed, once `n` have arrived. */
function replies(socket: Socket, n: number): Promise<unknown[]> {
  const got: unknown[] = [];
  let buffer = '';
  return new Promise((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        got.push(JSON.parse(buffer.slice(0, nl)));
        buffer = buffer.slice(nl + 1);
      }
      if (got.length >= n) resolve(got);
    });
  });
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('JsonRpcConnection, calling side', () => {
  it('gives an error the peer could not pin on a request (id null) to every call still waiting, code and data kept', async () => {
    const conn = await client();
    const first = conn.call(Gate, { n: 1 });
    const second = conn.call(Gate, { n: 2 });
    await until('both calls to arrive', () => gates.length === 2);
    served[0]!.socket.write(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.Unavailable, message: 'too busy', data: { kind: 'too_many_connections', hint: 'later' } } }) + '\n');
    for (const call of [first, second]) {
      await expect(call).rejects.toMatchObject({ code: ErrorCode.Unavailable, message: 'too busy', data: { kind: 'too_many_connections', hint: 'later' } });
    }
  });

  it('refuses a request over the limit before sending it; the connection stays usable', async () => {
    const conn = await client({ maxRequestBytes: 1000, peerName: 'the daemon' });
    await expect(conn.call(Echo, { text: 'é'.repeat(600) })).rejects.toMatchObject({
      code: ErrorCode.LineTooLong,
      message: expect.stringMatching(/^the test\.echo request is \d+ bytes, over the daemon's 1000-byte line limit$/),
      data: { kind: 'line_too_long', limit: 1000 },
    });
    expect(await conn.call(Echo, { text: 'short' })).toEqual({ text: 'short' });
  });

  it('fails calls made after the close with Unavailable, with the hint given', async () => {
    const conn = await client({ closedMessage: 'connection to ojd closed', closedHint: 'see the logs' });
    const closed = new Promise<Error | undefined>((resolve) => conn.onClose(resolve));
    await until('the server side', () => served.length === 1);
    served[0]!.destroy();
    await closed;
    await expect(conn.call(Echo, { text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.Unavailable,
      message: expect.stringMatching(/^connection to ojd closed/),
      data: { kind: 'unavailable', hint: 'see the logs' },
    });
  });

  it('sends notifications to the serving side', async () => {
    const conn = await client();
    await conn.call(Echo, { text: 'ready' });
    const got = new Promise<string>((resolve) => served[0]!.onNotification(Hello, ({ from }) => resolve(from)));
    conn.notify(Hello, { from: 'client' });
    expect(await got).toBe('client');
  });

  it('writeThrough stops reading while the local output is full and reads on once it drains', async () => {
    const conn = await client();
    const Note = notification<{ i: number }>()('test.note', 'Streamed.');
    let release: (() => void) | null = null;
    const out = new Writable({
      highWaterMark: 1,
      write(_chunk, _enc, done) {
        release = done;
      },
    });
    const seen: number[] = [];
    conn.onNotification(Note, ({ i }) => {
      seen.push(i);
      conn.writeThrough(out, `${i}\n`);
    });
    await conn.call(Echo, { text: 'ready' });
    served[0]!.notify(Note, { i: 1 });
    await until('the first note', () => seen.length === 1);
    // Reading stops at once; the next note waits in ojd's direction until the output drains.
    expect(conn.socket.isPaused()).toBe(true);
    served[0]!.notify(Note, { i: 2 });
    release!();
    await until('the second note', () => seen.length === 2);
    release!();
  });
});

describe('JsonRpcConnection, answering side', () => {
  it('stops reading while maxInFlight requests are being answered, and reads on as they finish', async () => {
    serverOptions = { maxInFlight: 2 };
    const conn = await client();
    const calls = [1, 2, 3].map((n) => conn.call(Gate, { n }));
    await until('two requests to run', () => gates.length === 2);
    // Reading stopped with the second: the third is not read (or waits unhandled) until one ends.
    expect(served[0]!.socket.isPaused()).toBe(true);
    expect(gates.map((g) => g.n)).toEqual([1, 2]);
    gates[0]!.open();
    await until('the third to run', () => gates.length === 3);
    for (const g of gates.slice(1)) g.open();
    expect(await Promise.all(calls)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('answers the last line of a peer that ended its side (no newline), then ends too', async () => {
    const socket = await rawSocket();
    const answers = replies(socket, 1);
    const ended = new Promise<void>((resolve) => socket.on('end', () => resolve()));
    socket.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'test.echo', params: { text: 'last' } }));
    expect(await answers).toEqual([{ jsonrpc: '2.0', id: 1, result: { text: 'last' } }]);
    await ended;
  });

  it('answers a batch in order as an array, leaves notifications out, and an empty batch is one -32600', async () => {
    const socket = await rawSocket();
    const answers = replies(socket, 2);
    const batch = [
      { jsonrpc: '2.0', id: 'a', method: 'test.echo', params: { text: 'one' } },
      { jsonrpc: '2.0', method: 'test.echo', params: { text: 'ignored' } },
      { jsonrpc: '2.0', id: 'b', method: 'test.echo', params: { text: 'two' } },
    ];
    socket.write(JSON.stringify(batch) + '\n');
    socket.write('[]\n');
    const got = await answers;
    expect(got).toContainEqual([
      { jsonrpc: '2.0', id: 'a', result: { text: 'one' } },
      { jsonrpc: '2.0', id: 'b', result: { text: 'two' } },
    ]);
    expect(got).toContainEqual(expect.objectContaining({ id: null, error: expect.objectContaining({ code: ErrorCode.InvalidRequest }) }));
  });

  it('never answers an answer; one that only answers calls it an invalid request', async () => {
    const stray = JSON.stringify({ jsonrpc: '2.0', id: 99, result: 'unasked' }) + '\n';
    const socket = await rawSocket();
    const got: string[] = [];
    socket.on('data', (d: Buffer) => got.push(d.toString()));
    socket.write(stray);
    const answers = replies(socket, 1);
    socket.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'test.echo', params: { text: 'after' } }) + '\n');
    expect(await answers).toEqual([{ jsonrpc: '2.0', id: 1, result: { text: 'after' } }]);

    serverOptions = { answersOnly: true };
    const strict = await rawSocket();
    const refusal = replies(strict, 1);
    strict.write(stray);
    expect(await refusal).toEqual([expect.objectContaining({ id: 99, error: expect.objectContaining({ code: ErrorCode.InvalidRequest }) })]);
  });
});
