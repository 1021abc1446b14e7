import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ErrorCode, OjError } from '../errors.js';
import { method, notification } from '../rpc.js';
import { JsonRpcConnection } from './json-rpc-connection.js';

const Add = method<{ sum: number }>()('test.add', () => z.object({ a: z.number(), b: z.number() }).strict(), 'Adds.');
const Fail = method<never>()('test.fail', () => z.object({}).strict().optional(), 'Throws a domain error.');
const Hang = method<never>()('test.hang', () => z.object({}).strict().optional(), 'Never answers.');
const Tick = notification<{ n: number }>()('test.tick', 'A notification.');

let dir: string;
let server: Server;
let serverPeers: JsonRpcConnection[];
let sockets: Socket[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oj-rpc-'));
  serverPeers = [];
  sockets = [];
  server = createServer((socket) => {
    const peer = new JsonRpcConnection(socket, { maxLineBytes: 1024 });
    peer.handle(Add, ({ a, b }) => ({ sum: a + b }));
    peer.handle(Fail, () => {
      throw OjError.notFound('widget', 'w1');
    });
    peer.handle(Hang, () => new Promise<never>(() => undefined));
    serverPeers.push(peer);
  });
  await new Promise<void>((resolve) => server.listen(join(dir, 's.sock'), resolve));
});

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  for (const peer of serverPeers) peer.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function connect(): Promise<Socket> {
  const socket = createConnection(join(dir, 's.sock'));
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

/** Sends raw text and collects the parsed lines that come back. */
async function exchange(socket: Socket, text: string, expected: number): Promise<unknown[]> {
  const replies: unknown[] = [];
  let buffer = '';
  return new Promise((resolve) => {
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        replies.push(JSON.parse(buffer.slice(0, nl)));
        buffer = buffer.slice(nl + 1);
      }
      if (replies.length >= expected) resolve(replies);
    });
    socket.write(text);
  });
}

describe('JsonRpcConnection', () => {
  it('calls typed methods and validates params on the handling side', async () => {
    const client = new JsonRpcConnection(await connect());
    expect(await client.call(Add, { a: 2, b: 3 })).toEqual({ sum: 5 });
    // Bypass the static types to send what a buggy or hostile client might.
    const bad = client.call(Add, { a: 'x', b: 1 } as unknown as { a: number; b: number });
    await expect(bad).rejects.toMatchObject({ code: ErrorCode.InvalidParams, data: { kind: 'invalid_params' } });
  });

  it('carries domain errors across as OjError with their code and data', async () => {
    const client = new JsonRpcConnection(await connect());
    const error = await client.call(Fail).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OjError);
    expect(error).toMatchObject({ code: ErrorCode.NotFound, message: 'widget not found: w1', data: { kind: 'not_found', id: 'w1' } });
  });

  it('answers garbage with spec errors and keeps the connection usable', async () => {
    const socket = await connect();
    const replies = await exchange(
      socket,
      [
        'not json',
        JSON.stringify({ hello: 'world' }),
        'x'.repeat(2000),
        JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'nope' }),
        JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'test.add', params: { a: 1, b: 1 } }),
      ].join('\n') + '\n',
      5,
    );
    // Spec errors found before a request runs may overtake the answers of those before them.
    const byCode = (r: unknown) => (r as { error?: { code: number } }).error?.code ?? 0;
    expect([...replies].sort((a, b) => byCode(a) - byCode(b))).toEqual([
      expect.objectContaining({ id: null, error: expect.objectContaining({ code: ErrorCode.ParseError }) }),
      expect.objectContaining({ id: 7, error: expect.objectContaining({ code: ErrorCode.MethodNotFound }) }),
      expect.objectContaining({ id: null, error: expect.objectContaining({ code: ErrorCode.InvalidRequest }) }),
      { jsonrpc: '2.0', id: 8, result: { sum: 2 } },
      expect.objectContaining({ id: null, error: expect.objectContaining({ code: ErrorCode.LineTooLong }) }),
    ]);
  });

  it('times out a call that gets no answer', async () => {
    const client = new JsonRpcConnection(await connect(), { callTimeoutMs: 50 });
    await expect(client.call(Hang)).rejects.toMatchObject({ code: ErrorCode.Timeout });
  });

  it('rejects pending calls when the connection closes, and reports the close', async () => {
    const client = new JsonRpcConnection(await connect());
    const pending = client.call(Hang);
    const closed = new Promise<void>((resolve) => client.onClose(() => resolve()));
    await new Promise((r) => setImmediate(r));
    for (const peer of serverPeers) peer.destroy();
    await expect(pending).rejects.toMatchObject({ code: ErrorCode.Unavailable });
    await closed;
    expect(client.closed).toBe(true);
    await expect(client.call(Add, { a: 1, b: 1 })).rejects.toThrow(/connection closed/);
  });

  it('delivers notifications from the serving side', async () => {
    const client = new JsonRpcConnection(await connect());
    const got: number[] = [];
    const all = new Promise<void>((resolve) =>
      client.onNotification(Tick, ({ n }) => {
        got.push(n);
        if (got.length === 3) resolve();
      }),
    );
    await client.call(Add, { a: 0, b: 0 }); // the server side has its peer by now
    for (const n of [1, 2, 3]) serverPeers[0]!.notify(Tick, { n });
    await all;
    expect(got).toEqual([1, 2, 3]);
  });
});
