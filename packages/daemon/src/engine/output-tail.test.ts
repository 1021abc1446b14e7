import { describe, expect, it } from 'vitest';
import { OutputTail, TAIL_BYTES } from './output-tail.js';

describe('OutputTail', () => {
  it('keeps what the current run printed, in order; a new run starts afresh', () => {
    const t = new OutputTail();
    t.append('p', 1, 'a\n');
    t.append('p', 1, 'b\n');
    expect(t.snapshot('p', 1)).toEqual({ text: 'a\nb\n', dropped: 0 });
    t.append('p', 2, 'c\n');
    expect(t.snapshot('p', 1)).toEqual({ text: '', dropped: 0 });
    expect(t.snapshot('p', 2)).toEqual({ text: 'c\n', dropped: 0 });
    t.forget('p');
    expect(t.snapshot('p', 2).text).toBe('');
  });
  it('keeps only the last TAIL_BYTES, counting what it dropped', () => {
    const t = new OutputTail();
    const chunk = 'x'.repeat(1024);
    for (let i = 0; i < 300; i++) t.append('p', 1, chunk);
    const s = t.snapshot('p', 1);
    expect(s.text.length).toBeLessThanOrEqual(TAIL_BYTES);
    expect(s.text.length + s.dropped).toBe(300 * 1024);
  });
});
