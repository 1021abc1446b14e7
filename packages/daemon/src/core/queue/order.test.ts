import { describe, expect, it } from 'vitest';
import { compareItems, effectiveTerms, fieldValue, jsonPath, orderTerms, type Orderable, type OrderTerm } from './order.js';

const item = (seq: number, data: Record<string, unknown>, createdAt = 1000): Orderable => ({ seq, data, createdAt });
const sorted = (text: string, terms: OrderTerm[], items: Orderable[]) => [...items].sort((a, b) => compareItems(text, terms, a, b)).map((i) => i.seq);

describe('queue order', () => {
  it('a bare "priority" means highest first', () => {
    expect(effectiveTerms('priority', [{ field: 'priority', direction: 'asc' }])).toEqual([{ field: 'priority', direction: 'desc' }]);
    expect(effectiveTerms('priority ASC', [{ field: 'priority', direction: 'asc' }])).toEqual([{ field: 'priority', direction: 'asc' }]);
  });

  it('nested fields become nested paths; anything else is refused', () => {
    expect(jsonPath('bug.severity')).toBe('$."bug"."severity"');
    expect(() => jsonPath('x") --')).toThrow(/not an item field/);
    expect(fieldValue({ bug: { severity: 2 } }, 'bug.severity')).toBe(2);
    expect(fieldValue({ bug: [1] }, 'bug.severity')).toBeUndefined();
  });

  it('orders by each field once, created_at breaking ties unless already ordered by', () => {
    const asc = (field: string): OrderTerm => ({ field, direction: 'asc' });
    expect(orderTerms('created_at ASC', [asc('created_at')])).toEqual([asc('created_at')]);
    expect(orderTerms('created_at DESC', [{ field: 'created_at', direction: 'desc' }])).toEqual([{ field: 'created_at', direction: 'desc' }]);
    expect(orderTerms('priority', [asc('priority')])).toEqual([{ field: 'priority', direction: 'desc' }, asc('created_at')]);
    expect(orderTerms('rank, rank DESC', [asc('rank'), { field: 'rank', direction: 'desc' }])).toEqual([asc('rank'), asc('created_at')]);
  });

  it('FIFO by default: oldest first, then insertion order', () => {
    const items = [item(3, {}, 900), item(1, {}, 1000), item(2, {}, 1000)];
    expect(sorted('created_at ASC', [{ field: 'created_at', direction: 'asc' }], items)).toEqual([3, 1, 2]);
  });

  it('priority: highest first, missing last in either direction, ties oldest first', () => {
    const items = [item(1, { priority: 1 }), item(2, {}, 500), item(3, { priority: 5 }, 1200), item(4, { priority: 5 }, 1100), item(5, { priority: null })];
    expect(sorted('priority', [{ field: 'priority', direction: 'asc' }], items)).toEqual([4, 3, 1, 2, 5]);
    expect(sorted('priority ASC', [{ field: 'priority', direction: 'asc' }], items)).toEqual([1, 4, 3, 2, 5]);
  });

  it("compares mixed types as SQLite does: numbers (booleans as 1/0) before text, text by code point", () => {
    const items = [item(1, { p: 'b' }), item(2, { p: 2 }), item(3, { p: true }), item(4, { p: 'B' }), item(5, { p: '😀' }), item(6, { p: 'Ω' })];
    expect(sorted('p ASC', [{ field: 'p', direction: 'asc' }], items)).toEqual([3, 2, 4, 1, 6, 5]);
  });
});
