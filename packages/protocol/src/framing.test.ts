import { describe, expect, it } from 'vitest';
import { LineDecoder } from './framing.js';

describe('LineDecoder', () => {
  it('splits chunks into lines across boundaries', () => {
    const d = new LineDecoder(100);
    expect(d.push(Buffer.from('{"a":1}\n{"b"'))).toEqual([{ kind: 'line', line: '{"a":1}' }]);
    expect(d.push(Buffer.from(':2}\n\n'))).toEqual([{ kind: 'line', line: '{"b":2}' }]);
  });

  it('reports an over-long line once and recovers at the next newline', () => {
    const d = new LineDecoder(10);
    expect(d.push(Buffer.from('x'.repeat(8)))).toEqual([]);
    expect(d.push(Buffer.from('y'.repeat(8)))).toEqual([]);
    expect(d.overflowing).toBe(true);
    expect(d.push(Buffer.from('zz\nok\n'))).toEqual([
      { kind: 'overflow', bytes: 18 },
      { kind: 'line', line: 'ok' },
    ]);
  });

  it('keeps multi-byte characters split across chunks intact', () => {
    const d = new LineDecoder(100);
    const bytes = Buffer.from('"é"\n');
    expect(d.push(bytes.subarray(0, 2))).toEqual([]);
    expect(d.push(bytes.subarray(2))).toEqual([{ kind: 'line', line: '"é"' }]);
  });

  it('gives a last line without its newline when the input ends', () => {
    const d = new LineDecoder(100);
    expect(d.push(Buffer.from('{"a":1}\n{"b":2}'))).toEqual([{ kind: 'line', line: '{"a":1}' }]);
    expect(d.end()).toEqual([{ kind: 'line', line: '{"b":2}' }]);
    expect(d.end()).toEqual([]);
    const long = new LineDecoder(4);
    long.push(Buffer.from('123456'));
    expect(long.end()).toEqual([{ kind: 'overflow', bytes: 6 }]);
  });
});
