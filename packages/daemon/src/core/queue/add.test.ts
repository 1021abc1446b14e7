import { describe, expect, it } from 'vitest';
import { addedRecords, invalidItems } from './add.js';

describe('adding items', () => {
  it('an id is a non-empty string or a number', () => {
    expect(invalidItems([{ id: 'a' }, { id: 3 }, { x: 1 }])).toBeNull();
    expect(invalidItems([{ id: 'a' }, { id: '' }])).toBe('item 2: "id" must be a non-empty string or a number');
    expect(invalidItems([{ id: { nested: true } }])).toBe('item 1: "id" must be a non-empty string or a number');
    expect(invalidItems([{ id: null }])).toBe('item 1: "id" must be a non-empty string or a number');
  });

  it('one event per item, or one for a batch; a pull says its origin', () => {
    expect(addedRecords('q', ['1', '2'], false, 'added')).toEqual([
      { name: 'queue:item:added', subject: '1', data: { queue: 'q', id: '1' } },
      { name: 'queue:item:added', subject: '2', data: { queue: 'q', id: '2' } },
    ]);
    expect(addedRecords('q', ['1', '2', '3'], true, 'source')).toEqual([
      { name: 'queue:items:added', subject: 'q', data: { queue: 'q', count: 3, first: '1', last: '3', origin: 'source' } },
    ]);
    expect(addedRecords('q', [], true, 'added')).toEqual([]);
  });
});
