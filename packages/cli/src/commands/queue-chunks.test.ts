import { describe, expect, it } from 'vitest';
import { ItemTooLargeError, chunkItems } from './queue-chunks.js';

describe('chunkItems', () => {
  it('keeps order and splits by bytes and by count', () => {
    const items = Array.from({ length: 10 }, (_, i) => ({ id: `i${i}`, pad: 'x'.repeat(10) }));
    const size = JSON.stringify(items[0]).length + 1;
    const byBytes = chunkItems(items, size * 3, 1000);
    expect(byBytes.map((c) => c.length)).toEqual([3, 3, 3, 1]);
    expect(byBytes.flat()).toEqual(items);
    expect(chunkItems(items, 1_000_000, 4).map((c) => c.length)).toEqual([4, 4, 2]);
  });
  it('refuses one item that is over the limit by itself', () => {
    expect(() => chunkItems([{ a: 'x'.repeat(100) }], 50)).toThrow(ItemTooLargeError);
  });
  it('100,000 small items go in a few chunks', () => {
    const items = Array.from({ length: 100_000 }, (_, i) => ({ id: `bug-${i}`, title: `bug number ${i}` }));
    const chunks = chunkItems(items);
    expect(chunks.flat()).toHaveLength(100_000);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(Buffer.byteLength(JSON.stringify(c))).toBeLessThan(2 * 1024 * 1024 + c.length);
  });
});
