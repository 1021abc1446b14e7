import { describe, expect, it } from 'vitest';
import { FrameReader, encodeRequest, unsendable, type NativeEvent } from './native-frames.js';

function frame(type: string, id: number, body: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUInt32LE(5 + body.length, 0);
  head.write(type, 4, 'latin1');
  head.writeUInt32LE(id, 5);
  return Buffer.concat([head, body]);
}

const i32 = (...ns: number[]) => Buffer.concat(ns.map((n) => Buffer.from(new Int32Array([n]).buffer)));

function read(chunks: Buffer[]): { events: NativeEvent[]; bad: string[] } {
  const events: NativeEvent[] = [];
  const bad: string[] = [];
  const r = new FrameReader((e) => events.push(e), (b) => bad.push(b));
  for (const c of chunks) r.push(c);
  return { events, bad };
}

describe('native spawner frames', () => {
  it('writes a run request as length, type, id, flags, strings and the environment', () => {
    const b = encodeRequest({ t: 'run', id: 3, r: { script: 'echo é', cwd: '/w', env: { A: '1' }, pipeOutput: true } });
    expect(b.readUInt32LE(0)).toBe(b.length - 4);
    expect(b.toString('latin1', 4, 5)).toBe('R');
    expect(b.readUInt32LE(5)).toBe(3);
    expect(b[9]).toBe(1);
    const strings: string[] = [];
    let at = 10;
    for (let i = 0; i < 3; i++) {
      const n = b.readUInt32LE(at);
      strings.push(b.toString('utf8', at + 4, at + 4 + n));
      at += 4 + n;
    }
    expect(strings).toEqual(['/w', '', 'echo é']);
    expect(b.readUInt32LE(at)).toBe(1);
    expect(b.toString('utf8', at + 8)).toBe('A=1');
  });

  it('reads events split anywhere, with a character split between two outputs whole', () => {
    const start = Buffer.alloc(12);
    start.writeInt32LE(4242, 0);
    start.writeBigInt64LE(99n, 4);
    const euro = Buffer.from('€\n');
    const all = Buffer.concat([
      frame('S', 1, start),
      frame('O', 1, Buffer.concat([Buffer.from([1]), euro.subarray(0, 2)])),
      frame('O', 1, Buffer.concat([Buffer.from([1]), euro.subarray(2)])),
      frame('X', 1, Buffer.concat([i32(-1, 15, 0), Buffer.from([0])])),
      frame('X', 2, Buffer.concat([i32(-1, 0, 2), Buffer.from([1]), Buffer.from('could not start bash: No such file or directory')])),
      frame('X', 3, Buffer.concat([i32(-1, 0, 13), Buffer.from([2]), Buffer.from('could not open the log file: Permission denied')])),
    ]);
    const whole = read([all]);
    const bytewise = read([...all].map((b) => Buffer.from([b])));
    for (const got of [whole, bytewise]) {
      expect(got.bad).toEqual([]);
      expect(got.events).toEqual([
        { t: 'started', id: 1, pid: 4242, start: 99 },
        { t: 'out', id: 1, s: 'stdout', d: '€\n' },
        { t: 'exit', id: 1, code: null, signal: 'SIGTERM' },
        { t: 'exit', id: 2, code: null, signal: null, errno: 'ENOENT', startingBash: true, error: 'could not start bash: No such file or directory' },
        { t: 'exit', id: 3, code: null, signal: null, errno: 'EACCES', startingBash: false, error: 'could not open the log file: Permission denied' },
      ]);
    }
  });

  it('reports a frame it cannot read and goes on with the next', () => {
    const { events, bad } = read([frame('Z', 1, Buffer.alloc(0)), frame('X', 1, Buffer.concat([i32(3, 0, 0), Buffer.from([0])]))]);
    expect(bad).toHaveLength(1);
    expect(events).toEqual([{ t: 'exit', id: 1, code: 3, signal: null }]);
  });

  it('will not send a NUL byte, which a C string cannot hold', () => {
    expect(unsendable({ script: 'a\0b', cwd: '/', env: {}, pipeOutput: false })).toMatch(/NUL byte/);
    expect(unsendable({ script: 'ok', cwd: '/', env: { K: 'v\0' }, pipeOutput: false })).toMatch(/NUL byte/);
    expect(unsendable({ script: 'ok', cwd: '/', env: { K: 'v' }, pipeOutput: false })).toBeNull();
  });
});
