/**
 * Hostile input on the daemon's socket: random bytes, truncated JSON, deep
 * nesting, huge strings, wrong types for every method's params (generated
 * from the protocol's zod schemas), a flood from many clients, a client that
 * never reads, more connections than the daemon accepts. Afterwards the
 * daemon still answers correctly, nothing was an internal error, and its
 * memory and file descriptors are bounded. Seeded: OJ_FUZZ_SEED replays.
 */
import net from 'node:net';
import { allMethods, CommandMethods, DaemonMethods, EventMethods, MAX_LINE_BYTES, OjError, type AnyMethod } from '@oj/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Rpc, processStats, prng, seedFrom, startOjd, killHard, type Ojd } from './helpers/crash-kit.js';
import { RawClient, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';

type Response = { jsonrpc: string; id: number | string | null; result?: unknown; error?: { code: number; message: string; data?: { kind?: string } } };

const seed = seedFrom('OJ_FUZZ_SEED');
const rand = prng(seed);
const counts = { raw: 0, typed: 0, flood: 0, unread: 0, connections: 0 };
let t: TestEnv;
let ojd: Ojd;
let root: string;
let baseline: { fds: number; rssKb: number };

beforeAll(async () => {
  t = new TestEnv();
  root = makeProject(t, 'proj', { r: '[command.hello]\nrun = "echo hello"\n\n[queue.q]\n' });
  ojd = await startOjd(t);
  // Warm up (runbooks loaded, statements prepared) before taking the baseline.
  const rpc = await Rpc.connect(t.socket);
  await rpc.call(CommandMethods.List, { project: root });
  for (let i = 0; i < 20; i++) await rpc.call(EventMethods.Emit, { name: 'warm', project: root });
  rpc.close();
  baseline = processStats(ojd.pid);
}, 60_000);

afterAll(async () => {
  const end = ojd ? processStats(ojd.pid) : null;
  console.log(
    `socket fuzz (seed ${seed}; replay with OJ_FUZZ_SEED=${seed}): ${counts.raw + counts.typed + counts.flood} requests fuzzed and answered ` +
      `(${counts.raw} malformed, ${counts.typed} wrong-typed over ${allMethods.length} methods, ${counts.flood} from 40 clients at once) ` +
      `+ ${counts.unread} written by a client that never reads, ` +
      `${counts.connections} connections; daemon fds ${baseline?.fds} -> ${end?.fds}, RSS ${Math.round((baseline?.rssKb ?? 0) / 1024)} -> ${Math.round((end?.rssKb ?? 0) / 1024)} MiB`,
  );
  await t.cleanup();
  if (ojd) await killHard(ojd);
});

/** The daemon answers a ping and a real query correctly on a fresh connection. */
async function stillHealthy(): Promise<void> {
  const rpc = await Rpc.connect(t.socket);
  try {
    expect(await rpc.call(DaemonMethods.Ping)).toMatchObject({ pong: true });
    const { events } = await rpc.call(EventMethods.List, { name: 'warm', limit: 5 });
    expect(events).toHaveLength(5);
    expect(ojd.child.exitCode).toBeNull();
  } finally {
    rpc.close();
  }
}

/** Sends lines (each must get exactly one answer) and resolves with the answers, then checks the connection still works. */
async function sendAndCollect(c: RawClient, lines: (string | Buffer)[]): Promise<Response[]> {
  const socket = (c as unknown as { socket: net.Socket }).socket;
  for (const l of lines) socket.write(Buffer.concat([Buffer.isBuffer(l) ? l : Buffer.from(l), Buffer.from('\n')]));
  await c.next(lines.length, 30_000);
  c.send(JSON.stringify({ jsonrpc: '2.0', id: 'still-there', method: 'daemon.ping' }) + '\n');
  const all = (await c.next(lines.length + 1, 10_000)) as Response[];
  expect(all[lines.length]).toMatchObject({ id: 'still-there', result: { pong: true } });
  return all.slice(0, lines.length);
}

const codes = (rs: Response[]) => rs.map((r) => r.error?.code ?? 'ok').sort((a, b) => String(a).localeCompare(String(b)));

function randomBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    let x = rand.int(0, 255);
    if (x === 10) x = 11; // the newline frames lines
    b[i] = x;
  }
  return b;
}

describe('malformed input', { timeout: 60_000 }, () => {
  it('random bytes, truncated JSON, deep nesting, over-long lines: an error answer each, never a crash', async () => {
    const c = await RawClient.connect(t.socket);
    const lines: (string | Buffer)[] = [];
    // Raw bytes, invalid UTF-8 included (a leading brace so that no line is blank).
    for (let i = 0; i < 300; i++) lines.push(Buffer.concat([Buffer.from('{'), randomBytes(rand.int(1, 400))]));
    const valid = [
      { jsonrpc: '2.0', id: 1, method: 'events.list', params: { name: 'warm', limit: 3 } },
      { jsonrpc: '2.0', id: 2, method: 'queues.add', params: { project: root, queue: 'q', items: [{ id: 'a', title: 'x' }] } },
      [{ jsonrpc: '2.0', id: 3, method: 'daemon.ping' }, { jsonrpc: '2.0', id: 4, method: 'daemon.status' }],
    ].map((v) => JSON.stringify(v));
    for (let i = 0; i < 300; i++) {
      const v = rand.pick(valid);
      lines.push(v.slice(0, rand.int(1, v.length - 1)));
    }
    const responses = await sendAndCollect(c, lines);
    counts.raw += lines.length;
    expect(responses).toHaveLength(lines.length);
    // Every malformed line gets a spec error with a kind; none is an internal error.
    for (const r of responses) {
      expect([-32700, -32600]).toContain(r.error?.code);
      expect(r.error?.data?.kind).toMatch(/parse_error|invalid_request/);
    }

    // Nesting: deeper than the daemon walks is refused before parsing; shallower works.
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    const nested = [
      deep(200_000),
      JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'events.emit', params: { name: 'deep', data: JSON.parse(deepObject(5)) } }),
      `{"jsonrpc":"2.0","id":11,"method":"events.emit","params":{"name":"deep","data":${deepObject(100_000)}}}`,
      `{"jsonrpc":"2.0","id":12,"method":"events.emit","params":{"name":"deep","data":{"s":"${'['.repeat(1000)}"}}}`,
    ];
    const c2 = await RawClient.connect(t.socket);
    const r2 = await sendAndCollect(c2, nested);
    counts.raw += nested.length;
    expect(codes(r2)).toEqual(codes([{ error: { code: -32600 } }, { error: { code: -32600 } }, {}, {}] as Response[]));

    // Huge: a line over the limit is refused and skipped, the connection goes on; a huge value in a bounded field is -32602.
    const c3 = await RawClient.connect(t.socket);
    const huge = [
      JSON.stringify({ jsonrpc: '2.0', id: 20, method: 'daemon.ping', params: { pad: 'x'.repeat(MAX_LINE_BYTES) } }),
      JSON.stringify({ jsonrpc: '2.0', id: 21, method: 'events.emit', params: { name: 'n'.repeat(1_000_000) } }),
      JSON.stringify({ jsonrpc: '2.0', id: 22, method: 'queues.add', params: { project: root, queue: 'q'.repeat(500_000), items: [{}] } }),
      JSON.stringify({ jsonrpc: '2.0', id: 23, method: 'x'.repeat(2_000_000) }),
    ];
    const r3 = await sendAndCollect(c3, huge);
    counts.raw += huge.length;
    expect(codes(r3)).toEqual(codes([1008, -32602, -32602, -32601].map((code) => ({ error: { code } })) as Response[]));
    for (const x of [c, c2, c3]) x.close();
    await stillHealthy();
  });
});

describe('JSON-RPC structure', { timeout: 120_000 }, () => {
  /**
   * Random requests and batches mixing every shape section 7 and issue 16
   * name: null, numbers, strings, arrays, nested batches, object / non-finite
   * / missing ids, bad jsonrpc and method fields, notifications. What each
   * line must get back is computed from the spec and compared.
   */
  it('every line gets exactly what JSON-RPC 2.0 says: one answer per request with an id, -32600 per bad member, nothing for notifications', async () => {
    type Member = { text: string; expect: 'none' | { id: string | number | null; code: number | 'ok' } };
    let n = 0;
    const member = (): Member => {
      const id = `m${n++}`;
      switch (rand.int(0, 11)) {
        case 0: return { text: 'null', expect: { id: null, code: -32600 } };
        case 1: return { text: String(rand.int(-5, 5)), expect: { id: null, code: -32600 } };
        case 2: return { text: '"str"', expect: { id: null, code: -32600 } };
        case 3: return { text: `[{"jsonrpc":"2.0","id":"${id}","method":"daemon.ping"}]`, expect: { id: null, code: -32600 } };
        case 4: return { text: '{"jsonrpc":"2.0","id":{"a":1},"method":"daemon.ping"}', expect: { id: null, code: -32600 } };
        case 5: return { text: '{"jsonrpc":"2.0","id":1e400,"method":"daemon.ping"}', expect: { id: null, code: -32600 } };
        case 6: return { text: `{"jsonrpc":"1.0","id":"${id}","method":"daemon.ping"}`, expect: { id, code: -32600 } };
        case 7: return { text: `{"jsonrpc":"2.0","id":"${id}","method":${rand.pick(['1', 'null', '[]', '{}'])}}`, expect: { id, code: -32600 } };
        case 8: return { text: `{"jsonrpc":"2.0","id":"${id}","method":"daemon.ping","params":${rand.pick(['1', '"p"', 'true', 'null'])}}`, expect: { id, code: -32600 } };
        case 9: return { text: `{"jsonrpc":"2.0","id":"${id}","method":"no.such"}`, expect: { id, code: -32601 } };
        case 10: return { text: '{"jsonrpc":"2.0","method":"events.emit","params":{"name":"fuzz:note"}}', expect: 'none' };
        default: return { text: `{"jsonrpc":"2.0","id":"${id}","method":"daemon.ping"}`, expect: { id, code: 'ok' } };
      }
    };
    const c = await RawClient.connect(t.socket);
    const lines: string[] = [];
    const wanted: (Member['expect'] | Member['expect'][])[] = [];
    for (let i = 0; i < 400; i++) {
      if (rand.int(0, 2) === 0) {
        const m = member();
        lines.push(m.text);
        // On its own line, `[{request}]` is a batch of one valid request (only nested is it a bad member).
        const nested = m.text.startsWith('[{');
        const inner = nested ? /"id":"(m\d+)"/.exec(m.text)![1]! : null;
        wanted.push(nested ? [{ id: inner, code: 'ok' }] : m.expect);
      } else {
        const members = Array.from({ length: rand.int(0, 6) }, member);
        lines.push(`[${members.map((m) => m.text).join(',')}]`);
        wanted.push(members.length === 0 ? { id: null, code: -32600 } : members.map((m) => m.expect));
      }
    }
    counts.raw += lines.length;
    const answering = wanted.filter((w) => (Array.isArray(w) ? w.some((x) => x !== 'none') : w !== 'none')).length;
    for (const l of lines) c.send(l + '\n');
    c.send('{"jsonrpc":"2.0","id":"end","method":"daemon.ping"}\n');
    const got = (await c.next(answering + 1, 60_000)) as (Response | Response[])[];
    const key = (r: { id: unknown; code: number | 'ok' }) => JSON.stringify([r.id, r.code]);
    const of = (r: Response) => key({ id: r.id, code: r.error?.code ?? 'ok' });
    const expected = wanted
      .map((w) => (Array.isArray(w) ? w.filter((x) => x !== 'none').map((x) => key(x as { id: null; code: number })).sort().join('|') : w === 'none' ? null : key(w)))
      .filter((x): x is string => x !== null && x !== '');
    const actual = got
      .filter((r) => Array.isArray(r) || r.id !== 'end')
      .map((r) => (Array.isArray(r) ? r.map(of).sort().join('|') : of(r)));
    expect(actual.sort()).toEqual(expected.sort());
    for (const r of got.flat()) expect(r.error?.code).not.toBe(-32603);
    c.close();
    await stillHealthy();
  });
});

/** The JSON types a schema accepts ('any' for an unconstrained one). */
type Json = Record<string, unknown>;
function typesOf(s: Json): Set<string> {
  const out = new Set<string>();
  const alts = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (alts) for (const a of alts) for (const x of typesOf(a)) out.add(x);
  else if (Array.isArray(s.type)) for (const x of s.type as string[]) out.add(x);
  else if (typeof s.type === 'string') out.add(s.type);
  else if (s.enum || s.const !== undefined) out.add('enum');
  else out.add('any');
  return out;
}

const SAMPLES: [string, unknown][] = [
  ['string', 'fuzz'],
  ['integer', 7],
  ['boolean', true],
  ['null', null],
  ['array', [1, 'two']],
  ['object', { fuzz: 1 }],
  ['number', 2.5],
];

/** Values of the wrong type (or breaking a constraint) for a schema; none when it accepts anything. */
function wrongValues(s: Json): unknown[] {
  const types = typesOf(s);
  if (types.has('any')) return [];
  const accepts = (t: string) => types.has(t) || (t === 'integer' && types.has('number'));
  const out: unknown[] = SAMPLES.filter(([t]) => !accepts(t) && !(t === 'number' && types.has('number'))).map(([, v]) => v);
  if (types.has('integer') && !types.has('number')) out.push(1.5);
  if (types.size === 1) {
    if (typeof s.minLength === 'number' && s.minLength > 0) out.push('');
    if (typeof s.maxLength === 'number' && s.maxLength < 100_000) out.push('y'.repeat(s.maxLength + 1));
    if (typeof s.minimum === 'number') out.push(s.minimum - 1);
    if (typeof s.minItems === 'number' && s.minItems > 0) out.push([]);
    if (s.enum) out.push('__not_one_of_them__');
  }
  return out;
}

/** A plausible value for a schema (for the required fields around the one being broken). */
function sampleValue(s: Json): unknown {
  const types = typesOf(s);
  if (s.enum) return (s.enum as unknown[])[0];
  if (types.has('object')) return sampleObject(s);
  if (types.has('string')) return 'x'.repeat(Math.max(1, Number(s.minLength ?? 1)));
  if (types.has('integer') || types.has('number')) return Math.max(1, Number(s.minimum ?? 1));
  if (types.has('boolean')) return true;
  if (types.has('array')) return Array.from({ length: Number(s.minItems ?? 0) }, () => sampleValue((s.items as Json) ?? {}));
  return null;
}

function sampleObject(s: Json): Record<string, unknown> {
  const props = (s.properties ?? {}) as Record<string, Json>;
  const out: Record<string, unknown> = {};
  for (const k of (s.required ?? []) as string[]) out[k] = sampleValue(props[k] ?? {});
  return out;
}

/** Invalid params for a method: wrong whole params, an unknown field, a missing field, each field wrong. */
function invalidParams(schema: Json): unknown[] {
  const variants: unknown[] = [42, 'params', true, [1, 2, 3]];
  if (typesOf(schema).has('object') && schema.properties) {
    const props = schema.properties as Record<string, Json>;
    const base = sampleObject(schema);
    if (schema.additionalProperties === false) variants.push({ ...base, __fuzz_unknown_field: 1 });
    for (const k of (schema.required ?? []) as string[]) {
      const { [k]: _, ...without } = base;
      variants.push(without);
    }
    for (const [k, p] of Object.entries(props)) {
      for (const v of wrongValues(p)) variants.push({ ...base, [k]: v });
      // One level down: a field of an object field, or an item of an array field.
      if (typesOf(p).has('object') && p.properties) {
        for (const [k2, p2] of Object.entries(p.properties as Record<string, Json>)) {
          for (const v of wrongValues(p2).slice(0, 2)) variants.push({ ...base, [k]: { ...sampleObject(p), [k2]: v } });
        }
      }
      if (typesOf(p).has('array') && p.items) for (const v of wrongValues(p.items as Json).slice(0, 2)) variants.push({ ...base, [k]: [v] });
    }
  }
  return variants;
}

describe('wrong types for every method', { timeout: 60_000 }, () => {
  it("each method's params, broken every way its schema allows, get -32602 with the issues (-32600 when not an object or array), never an internal error", async () => {
    const unexpected: string[] = [];
    let id = 1;
    const batches: { method: AnyMethod; params: unknown; id: number }[] = [];
    for (const m of allMethods) {
      const schema = z.toJSONSchema(m.params, { io: 'input', unrepresentable: 'any' }) as Json;
      for (const params of invalidParams(schema)) batches.push({ method: m, params, id: id++ });
    }
    counts.typed += batches.length;
    // Four connections, everything pipelined.
    const conns = await Promise.all([0, 1, 2, 3].map(() => Rpc.connect(t.socket)));
    await Promise.all(
      batches.map(async (b, i) => {
        try {
          const result = await conns[i % conns.length]!.call(b.method, b.params);
          unexpected.push(`${b.method.name} ${JSON.stringify(b.params).slice(0, 200)} was accepted: ${JSON.stringify(result).slice(0, 200)}`);
        } catch (err) {
          // JSON-RPC 2.0 (4.2): params, when present, are an object or an array; anything else is not a request at all.
          const structured = typeof b.params === 'object' && b.params !== null;
          if (!(err instanceof OjError)) unexpected.push(`${b.method.name}: ${String(err)}`);
          else if (!structured) {
            if (err.code !== -32600 || (err.data as { kind?: string }).kind !== 'invalid_request') {
              unexpected.push(`${b.method.name} ${JSON.stringify(b.params)} -> ${err.code} ${err.message} (want -32600)`);
            }
          } else if (err.code !== -32602 || (err.data as { kind?: string }).kind !== 'invalid_params' || !Array.isArray((err.data as { issues?: unknown }).issues)) {
            unexpected.push(`${b.method.name} ${JSON.stringify(b.params).slice(0, 200)} -> ${err.code} ${err.message}`);
          }
        }
      }),
    );
    for (const c of conns) c.close();
    expect(unexpected).toEqual([]);
    expect(batches.length).toBeGreaterThan(allMethods.length * 5);
    await stillHealthy();
  });
});

describe('floods', { timeout: 60_000 }, () => {
  it('many clients at once: every request answered, and correctly', async () => {
    const clients = await Promise.all(Array.from({ length: 40 }, () => Rpc.connect(t.socket)));
    counts.connections += clients.length;
    const before = (await clients[0]!.call(EventMethods.List, { limit: 1 })).lastId;
    let emitted = 0;
    await Promise.all(
      clients.map(async (c, ci) => {
        const calls: Promise<void>[] = [];
        for (let i = 0; i < 120; i++) {
          const op = (ci + i) % 10;
          if (op === 0) {
            emitted++;
            calls.push(c.call(EventMethods.Emit, { name: `flood:${ci}`, data: { i } }).then((r) => void expect(r.event.name).toBe(`flood:${ci}`)));
          } else if (op < 5) calls.push(c.call(DaemonMethods.Ping).then((r) => void expect(r.pong).toBe(true)));
          else if (op < 8) calls.push(c.call(DaemonMethods.Status).then((r) => void expect(r.pid).toBe(ojd.pid)));
          else calls.push(c.call(EventMethods.List, { name: 'warm', limit: 3 }).then((r) => void expect(r.events).toHaveLength(3)));
        }
        counts.flood += calls.length;
        await Promise.all(calls);
      }),
    );
    const flood = (await clients[0]!.call(EventMethods.List, { since: before, name: 'flood:*', limit: 10_000 })).events;
    expect(flood).toHaveLength(emitted);
    for (const c of clients) c.close();
    await stillHealthy();
  });

  it('a client that never reads its answers is throttled; others are served meanwhile; memory stays bounded', async () => {
    // Fill the event log so that each answer is big (about 200 KiB).
    const rpc = await Rpc.connect(t.socket);
    const pad = 'p'.repeat(2000);
    for (let i = 0; i < 100; i++) await rpc.call(EventMethods.Emit, { name: 'bulk', data: { pad } });
    const greedy = net.connect(t.socket);
    await new Promise((r) => greedy.once('connect', r));
    greedy.pause(); // never reads
    greedy.on('error', () => {});
    const request = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'events.list', params: { name: 'bulk', limit: 100 } }) + '\n';
    const chunk = request.repeat(200);
    let sent = 0;
    // Write until the daemon stops reading (our own buffer fills up) or hangs up.
    const deadline = Date.now() + 15_000;
    while (!greedy.destroyed && Date.now() < deadline && greedy.writableLength < 4 * 1024 * 1024) {
      greedy.write(chunk);
      sent += 200;
      if (sent % 2000 === 0) {
        // Others are served while this goes on.
        expect(await rpc.call(DaemonMethods.Ping)).toMatchObject({ pong: true });
      }
      await new Promise((r) => setImmediate(r));
    }
    counts.unread += sent;
    const during = processStats(ojd.pid);
    expect(await rpc.call(DaemonMethods.Ping)).toMatchObject({ pong: true });
    greedy.destroy();
    // Unthrottled, the answers to what was written would be sent * 200 KiB (gigabytes).
    expect(during.rssKb - baseline.rssKb, 'RSS growth (KiB) while a client does not read').toBeLessThan(200 * 1024);
    rpc.close();
    await stillHealthy();
  });

  it('more connections than the daemon takes: the extra ones are closed, the rest work, descriptors come back', async () => {
    const sockets: net.Socket[] = [];
    let refused = 0;
    await Promise.all(
      Array.from({ length: 600 }, async () => {
        const s = net.connect(t.socket);
        sockets.push(s);
        s.on('close', () => refused++);
        s.on('error', () => {});
        s.resume();
        await new Promise<void>((resolve) => {
          s.once('connect', () => resolve());
          s.once('error', () => resolve());
        });
      }),
    );
    counts.connections += sockets.length;
    // A connection over the limit is closed by the daemon right away.
    await waitFor('the extra connections closed', () => refused >= 600 - 512 - 1, 10_000);
    expect(refused).toBeLessThanOrEqual(600 - 512 + 5); // a few earlier connections may still be closing
    for (const s of sockets) s.destroy();
    await waitFor('the daemon to let them go', () => processStats(ojd.pid).fds <= baseline.fds + 5, 10_000);
    await stillHealthy();
    const end = processStats(ojd.pid);
    expect(end.fds).toBeLessThanOrEqual(baseline.fds + 5);
  });
});
