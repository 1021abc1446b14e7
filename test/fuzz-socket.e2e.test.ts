/**
 * Hostile input on the daemon's socket, every shape issue 16 names: random
 * bytes, truncated JSON, deep nesting, huge strings and over-long lines;
 * wrong types for every method's params (generated from the protocol's zod
 * schemas); JSON-RPC structure (null, [null], [null, {valid}], a request and
 * a null in one batch, object and non-finite ids, [[req]], notifications);
 * half-closed connections whose last line has no newline; batch bombs (a
 * batch asking many times for a 3.9 MB event, a batch of a thousand pings);
 * timeouts past what one Node timer holds; a follow over a large backlog by
 * clients that read slowly, never, or go away; a slow follower of a phase's
 * output; a flood from many clients; a client that never reads; more
 * connections than the daemon accepts, idle ones timing out, all of them
 * busy; secret values in names, subjects, data and inputs; hostile workspace
 * names and branches. Afterwards the daemon still answers correctly, nothing
 * was an internal error, and its memory and file descriptors are bounded.
 * Seeded: the seed is printed at the end and in every failure message;
 * OJ_FUZZ_SEED replays it.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import {
  allMethods,
  CommandMethods,
  DaemonMethods,
  EventMethods,
  LockMethods,
  MAX_LINE_BYTES,
  OjError,
  PipelineMethods,
  SemaphoreMethods,
  WorkspaceMethods,
  type AnyMethod,
} from '@oj/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Rpc, processStats, prng, seedFrom, startOjd, killHard, type Ojd } from './helpers/crash-kit.js';
import { RawClient, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { startedPipeline } from './helpers/rpc-call.js';

type Response = { jsonrpc: string; id: number | string | null; result?: unknown; error?: { code: number; message: string; data?: { kind?: string } } };
type Rand = ReturnType<typeof prng>;

const seed = seedFrom('OJ_FUZZ_SEED');
/** Each test draws from its own generator, so that one test run alone (-t) replays the same input. */
function randFor(label: string): Rand {
  let h = seed;
  for (const ch of label) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return prng(h);
}
const replay = `seed ${seed}; replay with OJ_FUZZ_SEED=${seed}`;
const counts = { raw: 0, typed: 0, flood: 0, unread: 0, connections: 0, halfClosed: 0, bombs: 0, timeouts: 0, followers: 0, secrets: 0, workspaces: 0 };
/** A secret-named variable in the daemon's environment: its value must reach no name, id, path or listing. */
const SECRET = `s3cr${randFor('secret').int(1e9, 2e9).toString(36)}xq`;
let t: TestEnv;
let ojd: Ojd;
let root: string;
let baseline: { fds: number; rssKb: number };

const RUNBOOK = `
[command.hello]
run = "echo hello"

[queue.q]

[lock.l]
heartbeat = "1h"

[lock.sentinel]
heartbeat = "1h"

[semaphore.s]
max = 1
slot_heartbeat = "1h"

[command.gate]
args = "<n>"
run = { pipeline = "gate" }

[pipeline.gate]
inputs = ["n"]
[[pipeline.gate.phase]]
name = "wait"
run = "while [ ! -e {project_root}/gate-{n} ]; do sleep 0.05; done"

[command.out]
args = "<n>"
run = { pipeline = "out" }

[pipeline.out]
inputs = ["n"]
[[pipeline.out.phase]]
name = "print"
run = "seq 1 {n}"

[command.sec]
args = "<v>"
run = { pipeline = "sec" }

[pipeline.sec]
inputs = ["v"]
[[pipeline.sec.phase]]
name = "x"
run = "true"
`;

beforeAll(async () => {
  t = new TestEnv();
  root = makeProject(t, 'proj', { r: RUNBOOK }, { git: true });
  ojd = await startOjd(t, { MY_API_TOKEN: SECRET });
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
    `socket fuzz (${replay}): ${counts.raw + counts.typed + counts.flood} requests fuzzed and answered ` +
      `(${counts.raw} malformed, ${counts.typed} wrong-typed over ${allMethods.length} methods, ${counts.flood} from 40 clients at once) ` +
      `+ ${counts.unread} written by a client that never reads; ${counts.halfClosed} half-closed connections, ${counts.bombs} batch bombs, ` +
      `${counts.timeouts} over-long timeouts, ${counts.followers} backlog and output followers, ${counts.secrets} requests carrying a secret, ` +
      `${counts.workspaces} hostile workspace names; ` +
      `${counts.connections} connections; daemon fds ${baseline?.fds} -> ${end?.fds}, RSS ${Math.round((baseline?.rssKb ?? 0) / 1024)} -> ${Math.round((end?.rssKb ?? 0) / 1024)} MiB`,
  );
  await t.cleanup();
  if (ojd) await killHard(ojd);
});

/** Waits until the daemon's descriptors are back near the baseline (connections closed, nothing leaked); says which are left if not. */
async function descriptorsBack(what: string): Promise<void> {
  await waitFor(what, () => processStats(ojd.pid).fds <= baseline.fds + 5, 20_000).catch((err: unknown) => {
    const kinds: Record<string, number> = {};
    for (const fd of readdirSync(`/proc/${ojd.pid}/fd`)) {
      let link = '?';
      try {
        link = readlinkSync(`/proc/${ojd.pid}/fd/${fd}`).replace(/\d+/g, 'N');
      } catch {
        // closed meanwhile
      }
      kinds[link] = (kinds[link] ?? 0) + 1;
    }
    throw new Error(`${String(err)}; baseline ${baseline.fds}, open now: ${JSON.stringify(kinds)}`);
  });
}

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

function randomBytes(rand: Rand, n: number): Buffer {
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
    const rand = randFor('malformed');
    const c = await RawClient.connect(t.socket);
    const lines: (string | Buffer)[] = [];
    // Raw bytes, invalid UTF-8 included (a leading brace so that no line is blank).
    for (let i = 0; i < 300; i++) lines.push(Buffer.concat([Buffer.from('{'), randomBytes(rand, rand.int(1, 400))]));
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
    const rand = randFor('structure');
    type Member = { text: string; expect: 'none' | { id: string | number | null; code: number | 'ok' } };
    let n = 0;
    // Subjects of the events the lines emit (requests and notifications): each must be stored exactly once.
    const emitted: string[] = [];
    const member = (): Member => {
      const id = `m${n++}`;
      switch (rand.int(0, 15)) {
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
        case 10:
          emitted.push(id);
          return { text: `{"jsonrpc":"2.0","method":"events.emit","params":{"name":"fuzz:stored","subject":"${id}"}}`, expect: 'none' };
        case 12:
          emitted.push(id);
          return { text: `{"jsonrpc":"2.0","id":"${id}","method":"events.emit","params":{"name":"fuzz:stored","subject":"${id}"}}`, expect: { id, code: 'ok' } };
        case 13: return { text: rand.pick(['true', 'false', '[]', '{}']), expect: { id: null, code: -32600 } };
        case 14: return { text: `{"jsonrpc":"2.0","id":${rand.pick(['true', '[1]', '-1e999', '1e309'])},"method":"daemon.ping"}`, expect: { id: null, code: -32600 } };
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
    expect(actual.sort(), replay).toEqual(expected.sort());
    for (const r of got.flat()) expect(r.error?.code).not.toBe(-32603);
    // What was emitted, as a request or a notification, alone or next to a bad member, is stored once; nothing else is.
    const rpc = await Rpc.connect(t.socket);
    const stored = await rpc.call(EventMethods.List, { name: 'fuzz:stored', limit: 100_000 });
    rpc.close();
    expect(stored.events.map((e) => e.subject).sort(), replay).toEqual([...emitted].sort());
    c.close();
    await stillHealthy();
  });

  it('a half-closed connection gets every answer, its last line counted even without a newline, then the daemon ends it', async () => {
    const rand = randFor('half-closed');
    const pool: { text: () => string; answers: number }[] = [
      { text: () => `{"jsonrpc":"2.0","id":${rand.int(1, 1e6)},"method":"daemon.ping"}`, answers: 1 },
      { text: () => `{"jsonrpc":"2.0","id":"e${rand.int(1, 1e6)}","method":"events.emit","params":{"name":"fuzz:half"}}`, answers: 1 },
      { text: () => `[${Array.from({ length: rand.int(1, 5) }, (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"daemon.status"}`).join(',')}]`, answers: 1 },
      { text: () => '{"jsonrpc":"2.0","method":"events.emit","params":{"name":"fuzz:half-note"}}', answers: 0 },
      { text: () => `{"jsonrpc":"2.0","id":1,"method":"daemon.ping"`.slice(0, rand.int(1, 40)), answers: 1 },
      { text: () => 'null', answers: 1 },
    ];
    for (let round = 0; round < 40; round++) {
      const picked = Array.from({ length: rand.int(1, 6) }, () => rand.pick(pool));
      const texts = picked.map((p) => p.text());
      const wanted = picked.reduce((n, p) => n + p.answers, 0);
      // Split at random places, as a slow network would; the last line has no newline.
      const payload = texts.join('\n');
      const cuts = [0, ...Array.from({ length: rand.int(0, 3) }, () => rand.int(0, payload.length)).sort((a, b) => a - b), payload.length];
      const answers = await new Promise<unknown[]>((resolve, reject) => {
        const sock = net.connect(t.socket);
        let text = '';
        sock.setEncoding('utf8');
        sock.on('data', (d: string) => (text += d));
        sock.on('end', () => resolve(text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown)));
        sock.on('error', reject);
        sock.on('connect', () => {
          for (let i = 1; i < cuts.length; i++) sock.write(payload.slice(cuts[i - 1], cuts[i]));
          sock.end();
        });
      });
      counts.halfClosed++;
      expect(answers, `${replay}: ${JSON.stringify(texts)}`).toHaveLength(wanted);
      for (const a of answers.flat() as Response[]) expect(a.error?.code, replay).not.toBe(-32603);
    }
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

describe('connections at the limit', { timeout: 120_000 }, () => {
  /** Opens a connection that reads what it gets; `follow`: it follows something (busy), else it is idle. */
  async function open(follow: boolean): Promise<net.Socket> {
    const s = net.connect(t.socket);
    s.on('error', () => {});
    s.resume();
    await new Promise<void>((resolve) => {
      s.once('connect', () => resolve());
      s.once('error', () => resolve());
    });
    if (follow) s.write('{"jsonrpc":"2.0","id":1,"method":"events.follow","params":{"name":"limit:nothing"}}\n');
    return s;
  }

  /** A newcomer's fate: answered, or refused with a JSON-RPC error (in words), or closed without a word. */
  function newcomer(): Promise<Response | 'closed'> {
    return new Promise((resolve) => {
      const s = net.connect(t.socket);
      let text = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        text += d;
        const nl = text.indexOf('\n');
        if (nl >= 0) {
          s.destroy();
          resolve(JSON.parse(text.slice(0, nl)) as Response);
        }
      });
      s.on('close', () => resolve('closed'));
      s.on('error', () => {});
      s.on('connect', () => s.write('{"jsonrpc":"2.0","id":"new","method":"daemon.ping"}\n'));
    });
  }

  it('idle connections past the limit give way to a newcomer; when every one is busy, a newcomer is told "too many connections"', async () => {
    const rand = randFor('limit');
    // Idle and busy ones mixed, more than the limit in all.
    const total = 512 + rand.int(10, 80);
    const busyShare = rand.next() * 0.8;
    const sockets = await Promise.all(Array.from({ length: total }, () => open(rand.chance(busyShare))));
    counts.connections += total;
    // Once the idle ones have been idle a moment (1 s), a newcomer takes the place of the idlest.
    const served = await waitFor('a newcomer to be served', async () => {
      const r = await newcomer();
      return r !== 'closed' && r.result ? r : null;
    }, 30_000, 100);
    expect(served, replay).toMatchObject({ id: 'new', result: { pong: true } });
    for (const s of sockets) s.destroy();
    await descriptorsBack('the daemon to let them go');

    // Every slot busy (each follows something): a newcomer gets an error saying why, not silence.
    const busy: net.Socket[] = [];
    for (let i = 0; i < 512; i++) busy.push(await open(true));
    await waitFor('all 512 counted', async () => {
      const r = await newcomer();
      return r !== 'closed' && r.error ? r : null;
    }, 30_000, 100).then((refusal) => {
      expect(refusal, replay).toMatchObject({ id: null, error: { code: 1010, data: { kind: 'too_many_connections', limit: 512 } } });
      expect((refusal as Response).error!.message).toMatch(/^too many connections: 512 are open and busy/);
    });
    counts.connections += 512;
    for (const s of busy) s.destroy();
    await descriptorsBack('the daemon to let them go');
    await stillHealthy();
  });

  it('with a short idle_timeout, idle connections are closed by the daemon and followers are kept', async () => {
    const rand = randFor('idle-timeout');
    const t2 = new TestEnv();
    const ojd2 = await startOjd(t2, { OJ_IDLE_TIMEOUT: '1s' });
    try {
      const n = rand.int(5, 40);
      const plan = Array.from({ length: n }, () => rand.pick(['idle', 'idle-after-ping', 'follower', 'waiter'] as const));
      const root2 = makeProject(t2, 'p2', { r: '[lock.l]\nheartbeat = "1h"\n' });
      const holder = await Rpc.connect(t2.socket);
      await holder.call(LockMethods.Acquire, { project: root2, name: 'l', holder: 'owner' });
      const closed = new Set<number>();
      const sockets = await Promise.all(
        plan.map(async (kind, i) => {
          const s = net.connect(t2.socket);
          s.on('error', () => {});
          s.on('close', () => closed.add(i));
          s.resume();
          await new Promise<void>((resolve) => s.once('connect', () => resolve()));
          if (kind === 'idle-after-ping') s.write('{"jsonrpc":"2.0","id":1,"method":"daemon.ping"}\n');
          if (kind === 'follower') s.write('{"jsonrpc":"2.0","id":1,"method":"events.follow","params":{"name":"idle:*"}}\n');
          if (kind === 'waiter') s.write(`{"jsonrpc":"2.0","id":1,"method":"locks.acquire","params":{"project":${JSON.stringify(root2)},"name":"l","holder":"w${i}","wait":true}}\n`);
          return s;
        }),
      );
      counts.connections += n;
      const idle = plan.flatMap((k, i) => (k.startsWith('idle') ? [i] : []));
      await waitFor('every idle connection closed by the daemon', () => idle.every((i) => closed.has(i)), 30_000);
      // The ones that wait or follow are still open once the idle ones, opened at the same time, are gone.
      const kept = plan.flatMap((k, i) => (k.startsWith('idle') ? [] : [i]));
      expect(kept.filter((i) => closed.has(i)), `${replay}: ${JSON.stringify(plan)}`).toEqual([]);
      for (const s of sockets) s.destroy();
      holder.close();
    } finally {
      await t2.cleanup();
      await killHard(ojd2);
    }
  });
});

/** Reads JSON lines of any size without rescanning what it holds (answers here are tens of MB). */
class BigLines {
  private chunks: Buffer[] = [];
  readonly lines: unknown[] = [];
  private closed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      let start = 0;
      let nl: number;
      while ((nl = d.indexOf(10, start)) >= 0) {
        this.chunks.push(d.subarray(start, nl));
        const line = Buffer.concat(this.chunks).toString('utf8');
        this.chunks = [];
        if (line.trim()) this.lines.push(JSON.parse(line));
        start = nl + 1;
      }
      if (start < d.length) this.chunks.push(d.subarray(start));
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }
  static connect(path: string): Promise<BigLines> {
    return new Promise((resolve, reject) => {
      const s = net.connect(path);
      s.once('connect', () => resolve(new BigLines(s)));
      s.once('error', reject);
    });
  }
  send(text: string): void {
    this.socket.write(text);
  }
  async next(n: number, timeoutMs: number): Promise<unknown[]> {
    await waitFor(`${n} answers`, () => {
      if (this.lines.length >= n) return true;
      if (this.closed) throw new Error(`connection closed after ${this.lines.length} answers`);
      return false;
    }, timeoutMs, 5);
    return this.lines.slice(0, n);
  }
  close(): void {
    this.socket.destroy();
  }
}

describe('batch bombs', { timeout: 180_000 }, () => {
  it('batches asking many times for a 3.9 MB event are cut off at 16 MiB of answers, an error each for the rest; memory stays bounded', async () => {
    const rand = randFor('bombs');
    const c = await BigLines.connect(t.socket);
    c.send(JSON.stringify({ jsonrpc: '2.0', id: 'big', method: 'events.emit', params: { name: 'bomb:big', data: { blob: 'x'.repeat(3_900_000) } } }) + '\n');
    await c.next(1, 30_000);
    const before = processStats(ojd.pid);
    let received = 1;
    const sizes = [rand.int(5, 40), rand.int(100, 400), 1100, rand.int(1, 4)];
    for (const size of sizes) {
      // Mostly the expensive listing; some pings, notifications and bad members in between.
      const members: { text: string; answered: boolean; bad: boolean }[] = Array.from({ length: size }, (_, i) => {
        const k = rand.int(0, 19);
        if (k === 0) return { text: `{"jsonrpc":"2.0","id":${i},"method":"daemon.ping"}`, answered: true, bad: false };
        if (k === 1) return { text: '{"jsonrpc":"2.0","method":"events.emit","params":{"name":"bomb:note"}}', answered: false, bad: false };
        if (k === 2) return { text: 'null', answered: true, bad: true };
        return { text: `{"jsonrpc":"2.0","id":${i},"method":"events.list","params":{"name":"bomb:big","limit":${rand.int(1, 3)}}}`, answered: true, bad: false };
      });
      c.send(`[${members.map((m) => m.text).join(',')}]\n`);
      received++;
      const answers = (await c.next(received, 120_000))[received - 1] as Response[] | Response;
      counts.bombs++;
      const want = members.filter((m) => m.answered).length;
      if (want === 0) {
        // Only notifications: nothing is sent back (and nothing to count).
        received--;
        continue;
      }
      expect(Array.isArray(answers), replay).toBe(true);
      const list = answers as Response[];
      expect(list, replay).toHaveLength(want);
      // Answers up to the cap, then batch_too_large for every request left (a bad member still gets -32600).
      let cut = false;
      let okBytes = 0;
      for (const a of list) {
        expect(a.error?.code, replay).not.toBe(-32603);
        if (a.error?.data?.kind === 'batch_too_large') cut = true;
        else if (cut) expect(a.error?.code, `${replay}: after the cut only refusals`).toBe(-32600);
        if (a.result) okBytes += JSON.stringify(a).length;
      }
      // Each member runs only while the answers so far are under the cap: at most one answer past it.
      expect(okBytes, replay).toBeLessThanOrEqual(16 * 1024 * 1024 + 3 * 4_000_000);
      if (members.filter((m) => m.answered && !m.bad).length * 3_900_000 > 20 * 1024 * 1024) expect(cut, replay).toBe(true);
    }
    // A batch of pings (no output cap reached) counts as its members in flight and is answered whole.
    const pings = rand.int(500, 2000);
    c.send(`[${Array.from({ length: pings }, (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"daemon.ping"}`).join(',')}]\n`);
    received++;
    const pinged = (await c.next(received, 60_000))[received - 1] as Response[];
    expect(pinged.filter((a) => a.result).length, replay).toBe(pings);
    counts.bombs++;
    // Several connections at once, each with a bomb: the daemon does not build them all in memory unbounded.
    const conns = await Promise.all([0, 1, 2].map(() => BigLines.connect(t.socket)));
    for (const k of conns) k.send(JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'events.list', params: { name: 'bomb:big', limit: 1 } }))) + '\n');
    await Promise.all(conns.map((k) => k.next(1, 120_000)));
    counts.bombs += conns.length;
    const after = processStats(ojd.pid);
    expect(after.rssKb - before.rssKb, `${replay}: RSS growth (KiB) from batch bombs`).toBeLessThan(600 * 1024);
    for (const k of [c, ...conns]) k.close();
    await stillHealthy();
  });
});

describe('timeouts past what one Node timer holds', { timeout: 120_000 }, () => {
  it('locks.acquire, semaphores.acquire and pipelines.wait with timeoutMs from 2^31 ms up wait for their event, not 1 ms', async () => {
    const rand = randFor('timeouts');
    const rpc = await Rpc.connect(t.socket);
    const LONG = [2 ** 31, 2 ** 31 + 1, 3e9, 2 ** 32 + 5, 1e12, Number.MAX_SAFE_INTEGER];
    const timeouts = Array.from({ length: 3 }, () => rand.pick(LONG));
    counts.timeouts += timeouts.length;
    const settled = { lock: false, sem: false, wait: false };
    expect(await rpc.call(LockMethods.Acquire, { project: root, name: 'l', holder: 'first' })).toMatchObject({ acquired: true });
    expect(await rpc.call(SemaphoreMethods.Acquire, { project: root, name: 's', holder: 'first' })).toMatchObject({ acquired: true });
    const gate = `t${rand.int(1, 1e9)}`;
    const pipeline = startedPipeline(await rpc.call(CommandMethods.Run, { project: root, command: 'gate', args: [gate] }));
    const [w1, w2, w3] = await Promise.all([0, 1, 2].map(() => Rpc.connect(t.socket)));
    const lock = w1!.call(LockMethods.Acquire, { project: root, name: 'l', holder: 'second', wait: true, timeoutMs: timeouts[0] }).finally(() => (settled.lock = true));
    const sem = w2!.call(SemaphoreMethods.Acquire, { project: root, name: 's', holder: 'second', wait: true, timeoutMs: timeouts[1] }).finally(() => (settled.sem = true));
    const wait = w3!.call(PipelineMethods.Wait, { ids: [pipeline.id], project: root, timeoutMs: timeouts[2] }).finally(() => (settled.wait = true));
    // A short timeout set after the long ones, on a lock someone holds: it fires. The long ones, set first, must not have.
    await rpc.call(LockMethods.Acquire, { project: root, name: 'sentinel', holder: 'x' });
    expect(await rpc.call(LockMethods.Acquire, { project: root, name: 'sentinel', holder: 'y', wait: true, timeoutMs: rand.int(20, 200) })).toMatchObject({ acquired: false });
    // Each waiter's connection answers a later request first: an early answer would have come before it.
    await w1!.call(DaemonMethods.Ping);
    await w2!.call(DaemonMethods.Ping);
    await w3!.call(DaemonMethods.Ping);
    expect(settled, `${replay}: timeouts ${JSON.stringify(timeouts)}`).toEqual({ lock: false, sem: false, wait: false });
    // Their event ends each wait the ordinary way.
    await rpc.call(LockMethods.Release, { project: root, name: 'l', holder: 'first' });
    await rpc.call(SemaphoreMethods.Release, { project: root, name: 's', holder: 'first' });
    writeFileSync(join(root, `gate-${gate}`), '');
    expect(await lock).toMatchObject({ acquired: true });
    expect(await sem).toMatchObject({ acquired: true });
    expect(await wait).toMatchObject({ timedOut: false, results: [{ status: 'done' }] });
    await rpc.call(LockMethods.Release, { project: root, name: 'l', holder: 'second' });
    await rpc.call(SemaphoreMethods.Release, { project: root, name: 's', holder: 'second' });
    await rpc.call(LockMethods.Release, { project: root, name: 'sentinel', holder: 'x' });
    for (const r of [rpc, w1!, w2!, w3!]) r.close();
    await stillHealthy();
  });
});

describe('followers', { timeout: 180_000 }, () => {
  /** A follower that reads `pace` ms apart (0: as fast as it can; null: never) and may hang up after `quitAfter` notifications. */
  function follower(params: unknown, method: string, pace: number | null, quitAfter: number | null) {
    const s = net.connect(t.socket);
    const got: { method?: string; params?: Record<string, unknown>; id?: unknown }[] = [];
    let buffer = '';
    s.setEncoding('utf8');
    s.on('error', () => {});
    s.on('data', (d: string) => {
      buffer += d;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        got.push(JSON.parse(buffer.slice(0, nl)) as (typeof got)[number]);
        buffer = buffer.slice(nl + 1);
      }
      if (quitAfter !== null && got.length > quitAfter) s.destroy();
      else if (pace !== null && pace > 0) {
        s.pause();
        setTimeout(() => s.resume(), pace);
      }
    });
    s.on('connect', () => {
      if (pace === null) s.pause();
      s.write(JSON.stringify({ jsonrpc: '2.0', id: 'f', method, params }) + '\n');
    });
    return { socket: s, got };
  }

  it('a follow over a large backlog: readers fast and slow get every event once, in order; clients that never read or hang up cost nothing', async () => {
    const rand = randFor('backlog');
    const w = await RawClient.connect(t.socket);
    const batches = rand.int(40, 80);
    const pad = 'b'.repeat(rand.int(100, 1500));
    for (let b = 0; b < batches; b++) {
      w.send(JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ jsonrpc: '2.0', id: b * 100 + i, method: 'events.emit', params: { name: 'backlog:x', data: { n: b * 100 + i, pad } } }))) + '\n');
    }
    await w.next(batches, 120_000);
    w.close();
    const total = batches * 100;
    const before = processStats(ojd.pid);
    const plan = Array.from({ length: rand.int(4, 10) }, () => rand.pick(['fast', 'slow', 'never', 'quits'] as const));
    const fs = plan.map((kind) =>
      follower({ name: 'backlog:*', since: 0 }, 'events.follow', kind === 'never' ? null : kind === 'slow' ? rand.int(1, 5) : 0, kind === 'quits' ? rand.int(0, total) : null),
    );
    counts.followers += fs.length;
    // Others are served meanwhile.
    const rpc = await Rpc.connect(t.socket);
    for (let i = 0; i < 20; i++) expect(await rpc.call(DaemonMethods.Ping)).toMatchObject({ pong: true });
    const readers = fs.filter((_, i) => plan[i] === 'fast' || plan[i] === 'slow');
    await waitFor('every reader to get the whole backlog', () => readers.every((f) => f.got.length >= total + 1), 120_000);
    for (const f of readers) {
      const ns = f.got.filter((m) => m.method === 'events.event').map((m) => ((m.params!.event as { data: { n: number } }).data.n));
      expect(ns.length, replay).toBe(total);
      expect(ns.every((n, i) => n === i), `${replay}: each event once, in order`).toBe(true);
    }
    const during = processStats(ojd.pid);
    expect(during.rssKb - before.rssKb, `${replay}: RSS growth (KiB) with followers that do not read`).toBeLessThan(300 * 1024);
    for (const f of fs) f.socket.destroy();
    rpc.close();
    await descriptorsBack('the daemon to let them go');
    await stillHealthy();
  });

  it("a phase's output reaches a slow follower whole and in order; one that never reads or hangs up does not hold the phase", async () => {
    const rand = randFor('output');
    const rpc = await Rpc.connect(t.socket);
    const n = rand.int(50_000, 200_000);
    const pipeline = startedPipeline(await rpc.call(CommandMethods.Run, { project: root, command: 'out', args: [String(n)] }));
    const plan = Array.from({ length: rand.int(2, 5) }, () => rand.pick(['slow', 'never', 'quits', 'fast'] as const));
    const fs = plan.map((kind) =>
      follower({ id: pipeline.id, project: root, from: { run: 0, offset: 0 } }, 'pipelines.follow', kind === 'never' ? null : kind === 'slow' ? rand.int(1, 10) : 0, kind === 'quits' ? rand.int(0, 30) : null),
    );
    counts.followers += fs.length;
    // The phase ends however its followers read.
    const { results } = await rpc.call(PipelineMethods.Wait, { ids: [pipeline.id], project: root, timeoutMs: 120_000 });
    expect(results[0]!.status).toBe('done');
    const expected = Array.from({ length: n }, (_, i) => `${i + 1}\n`).join('');
    const readers = fs.filter((_, i) => plan[i] === 'slow' || plan[i] === 'fast');
    const outputOf = (f: (typeof fs)[number]) =>
      f.got
        .filter((m) => m.method === 'pipelines.update' && (m.params!.update as { kind: string }).kind === 'output')
        .map((m) => (m.params!.update as { data: string }).data)
        .join('');
    await waitFor('every reader to get all the output', () => readers.every((f) => outputOf(f).length >= expected.length), 120_000);
    for (const f of readers) expect(outputOf(f) === expected, `${replay}: output whole and in order`).toBe(true);
    for (const f of fs) f.socket.destroy();
    rpc.close();
    await descriptorsBack('the daemon to let them go');
    await stillHealthy();
  });
});

describe('secret values in requests', { timeout: 60_000 }, () => {
  it('a secret in event names, subjects and data, or in a pipeline input, reaches no listing, id, path, branch or log line', async () => {
    const rand = randFor('secrets');
    const rpc = await Rpc.connect(t.socket);
    // (An argument starting with '-' would be read as an option of the command.)
    const around = () => rand.pick(['', 'x', 'key ', 'tok=', '/', 'a-', 'a:b:']);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      counts.secrets++;
      switch (rand.int(0, 3)) {
        case 0:
          await rpc.call(EventMethods.Emit, { name: `sec:${rand.pick(['', 'a', 'k-'])}${SECRET}`, project: root });
          break;
        case 1:
          await rpc.call(EventMethods.Emit, { name: 'sec:subject', subject: `${around()}${SECRET}${around()}`, project: root });
          break;
        case 2:
          await rpc.call(EventMethods.Emit, { name: 'sec:data', data: { v: `${around()}${SECRET}`, nested: { list: [SECRET] } }, project: root });
          break;
        default: {
          const r = await rpc.call(CommandMethods.Run, { project: root, command: 'sec', args: [`${around()}${SECRET}${around()}`] });
          ids.push(startedPipeline(r).id);
        }
      }
    }
    if (ids.length) await rpc.call(PipelineMethods.Wait, { ids, project: root, all: true, timeoutMs: 60_000 });
    const shown = [
      JSON.stringify(await rpc.call(EventMethods.List, { limit: 100_000 })),
      JSON.stringify(await rpc.call(PipelineMethods.List, { project: root })),
      ...(await Promise.all(ids.map(async (id) => JSON.stringify(await rpc.call(PipelineMethods.Show, { project: root, id }))))),
      readdirSync(join(t.stateDir, 'logs')).join('\n'),
      existsSync(join(t.stateDir, 'workspaces')) ? readdirSync(join(t.stateDir, 'workspaces')).join('\n') : '',
      readFileSync(join(t.stateDir, 'ojd.log'), 'utf8'),
    ];
    for (const text of shown) expect(text.includes(SECRET), `${replay}: the secret shows in ${text.slice(0, 300)}`).toBe(false);
    rpc.close();
  });
});

describe('hostile workspace names and branches', { timeout: 120_000 }, () => {
  it('each is refused with a clear error or made inside <state>/workspaces; nothing lands elsewhere, nothing is an internal error', async () => {
    const rand = randFor('workspaces');
    const rpc = await Rpc.connect(t.socket);
    const names = ['.', '..', '...', '.hidden', 'a..b', 'ok', 'a/b', '../x', '../../etc', '', ' ', 'é', 'a\u0000b', '-rf', '--help', 'x'.repeat(201), 'name.lock', '$(touch pwned)', 'a b', '~', '*'];
    const branches = [undefined, 'main', '-x', '--force', '../x', 'a..b', 'a b', '', 'refs/heads/x', 'x.lock', '@{-1}', '@', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[b', 'a\\b', '/a', 'a/', 'a//b', '.a', 'a/.b', 'ok/branch', 'x'.repeat(300), '$(touch pwned)', '-'];
    const before = new Set(readdirSync(t.root));
    for (let i = 0; i < 40; i++) {
      const name = `${rand.pick(names)}${rand.chance(0.3) ? i : ''}`;
      const branch = rand.pick(branches);
      counts.workspaces++;
      const params = { project: root, name, ...(branch !== undefined ? { branch: `${branch}${rand.chance(0.3) ? i : ''}` } : {}) };
      try {
        const r = await rpc.call(WorkspaceMethods.Create, params);
        expect(r.workspace.path.startsWith(join(t.stateDir, 'workspaces') + '/'), `${replay}: ${JSON.stringify(params)} -> ${r.workspace.path}`).toBe(true);
      } catch (err) {
        expect(err, `${replay}: ${JSON.stringify(params)}`).toBeInstanceOf(OjError);
        const e = err as OjError;
        expect(e.code, `${replay}: ${JSON.stringify(params)} -> ${e.message}`).not.toBe(-32603);
        expect(e.message.length).toBeGreaterThan(0);
      }
    }
    // Nothing new next to the project or the state dir, no marker, no branch git would read as an option.
    expect([...readdirSync(t.root)].filter((x) => !before.has(x)), replay).toEqual([]);
    expect(readdirSync(root).filter((x) => x.includes('pwned')), replay).toEqual([]);
    const branchesNow = (await rpc.call(WorkspaceMethods.List, { project: root })).workspaces.map((w) => w.branch ?? '');
    expect(branchesNow.filter((b) => b.startsWith('-')), replay).toEqual([]);
    rpc.close();
    await stillHealthy();
  });
});
