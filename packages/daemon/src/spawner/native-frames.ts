/**
 * The frames ojd and its native spawner (native/oj-spawn.c, whose header
 * documents the protocol) exchange: a u32 length, a type byte, a u32 run id,
 * the type's fields; integers little-endian, strings as a u32 length and
 * their bytes. Requests are the Node spawner's (spawner-messages.ts) plus
 * `kill`; events carry output as bytes, which the reader decodes per run and
 * stream, and a failed start as an errno.
 */
import { constants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { getSystemErrorName } from 'node:util';
import type { LaunchRequest, OutputStream } from './launch.js';
import type { SpawnerEvent, SpawnerRequest } from './spawner-messages.js';

export type NativeRequest = SpawnerRequest | { t: 'kill'; id: number; signal: NodeJS.Signals };

const REQUEST_TYPE = { recorded: 'A', hold: 'H', release: 'L' } as const;

/** A frame's head: length (of what follows it), type, id. */
function head(type: string, id: number, body: number): Buffer {
  const b = Buffer.allocUnsafe(9);
  b.writeUInt32LE(5 + body, 0);
  b.write(type, 4, 'latin1');
  b.writeUInt32LE(id, 5);
  return b;
}

/** Why a request cannot be sent as it is (the helper takes C strings), or null. */
export function unsendable(r: LaunchRequest): string | null {
  let nul = r.script.includes('\0') || r.cwd.includes('\0') || (r.logFile ?? '').includes('\0');
  for (const k in r.env) nul ||= k.includes('\0') || r.env[k]!.includes('\0');
  return nul ? 'the command could not be started: its script, environment or working directory holds a NUL byte' : null;
}

export function encodeRequest(q: NativeRequest): Buffer {
  if (q.t === 'kill') {
    const sig = constants.signals[q.signal];
    return Buffer.concat([head('K', q.id, 1), Buffer.from([sig])]);
  }
  if (q.t !== 'run') return head(REQUEST_TYPE[q.t], q.id, 0);
  // One buffer, sized first: a request goes out for every child.
  const env: string[] = [];
  for (const k in q.r.env) env.push(`${k}=${q.r.env[k]}`);
  const strings = [q.r.cwd, q.r.logFile ?? '', q.r.script];
  let body = 1 + 4;
  for (const s of strings) body += 4 + Buffer.byteLength(s);
  for (const s of env) body += 4 + Buffer.byteLength(s);
  const b = Buffer.allocUnsafe(9 + body);
  head('R', q.id, body).copy(b, 0);
  let at = 9;
  b[at++] = q.r.pipeOutput ? 1 : 0;
  const put = (s: string) => {
    const n = b.write(s, at + 4, 'utf8');
    b.writeUInt32LE(n, at);
    at += 4 + n;
  };
  for (const s of strings) put(s);
  b.writeUInt32LE(env.length, at);
  at += 4;
  for (const s of env) put(s);
  return b;
}

/** Signal names by number (the helper reports numbers). */
const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/**
 * A native exit event for a run that could not start: `errno` is the code's
 * name (ENOENT...); `startingBash`, whether starting bash itself (in its
 * working directory) failed, rather than what comes before (its log file...).
 */
export type NativeEvent = SpawnerEvent | { t: 'exit'; id: number; code: null; signal: null; errno: string; startingBash: boolean; error: string };

/**
 * Reads the helper's stdout: splits frames, decodes them, and turns output
 * bytes into text (a decoder per run and stream, so a character split between
 * two reads comes out whole). `onBad` gets what it could not read.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly decoders = new Map<number, Record<OutputStream, StringDecoder>>();

  constructor(
    private readonly onEvent: (e: NativeEvent) => void,
    private readonly onBad: (what: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let at = 0;
    while (this.buf.length - at >= 4) {
      const len = this.buf.readUInt32LE(at);
      if (this.buf.length - at - 4 < len) break;
      const frame = this.buf.subarray(at + 4, at + 4 + len);
      at += 4 + len;
      const e = this.decode(frame);
      if (e) this.onEvent(e);
    }
    this.buf = at === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(at);
  }

  private decode(f: Buffer): NativeEvent | null {
    if (f.length < 5) return this.bad(f);
    const type = String.fromCharCode(f[0]!);
    const id = f.readUInt32LE(1);
    if (type === 'S' && f.length === 17) {
      const start = Number(f.readBigInt64LE(9));
      return { t: 'started', id, pid: f.readInt32LE(5), start: start >= 0 ? start : null };
    }
    if (type === 'O' && f.length >= 6 && (f[5] === 1 || f[5] === 2)) {
      const s: OutputStream = f[5] === 1 ? 'stdout' : 'stderr';
      const text = this.decoder(id)[s].write(f.subarray(6));
      return text ? { t: 'out', id, s, d: text } : null;
    }
    if (type === 'X' && f.length >= 18) {
      this.decoders.delete(id);
      const code = f.readInt32LE(5);
      const signal = f.readInt32LE(9);
      const errno = f.readInt32LE(13);
      if (errno !== 0) {
        const text = f.subarray(18).toString('utf8');
        return { t: 'exit', id, code: null, signal: null, errno: errnoName(errno), startingBash: f[17] === 1, error: text };
      }
      return { t: 'exit', id, code: code >= 0 ? code : null, signal: signal > 0 ? (SIGNAL_NAMES.get(signal) ?? `signal ${signal}`) : null };
    }
    return this.bad(f);
  }

  private decoder(id: number): Record<OutputStream, StringDecoder> {
    let d = this.decoders.get(id);
    if (!d) this.decoders.set(id, (d = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') }));
    return d;
  }

  private bad(f: Buffer): null {
    this.onBad(f.subarray(0, 40).toString('hex'));
    return null;
  }
}

function errnoName(n: number): string {
  try {
    return getSystemErrorName(-n);
  } catch {
    return `errno ${n}`;
  }
}
