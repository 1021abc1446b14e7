import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stepItem } from '../core/queue/item-machine.js';
import type { ItemSettings } from '../core/queue/item.js';
import { openDatabase, type OpenedDatabase } from './database.js';
import { changedColumns, toQueueItem } from './queue-item-row.js';
import { orderClause } from './queue-order.js';
import { QueueStore, type QueueItemRow } from './queue-store.js';

let dir: string;
let db: OpenedDatabase;
let store: QueueStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oj-queue-store-'));
  db = openDatabase(join(dir, 'oj.db'));
  store = new QueueStore(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const add = (data: Record<string, unknown>, id: string | null = null, now = 1000) =>
  store.insert({ project: '/p', queue: 'q', id, data, origin: 'added', now, seenPull: null });
const settings: ItemSettings = { maxRetries: 1, visibilityTimeout: { text: '100ms', ms: 100 }, retention: { text: '1s', ms: 1000 }, onExhaust: [] };
/** What the queue service does to take: the next pending row, through the item lifecycle, written back. */
function take(text: string, terms: { field: string; direction: 'asc' | 'desc' }[], now = 2000): QueueItemRow | undefined {
  const row = store.nextPending('/p', 'q', orderClause(text, terms));
  if (!row) return undefined;
  const t = stepItem(toQueueItem(row), settings, { type: 'take', by: 't', worker: null }, now);
  store.update(row.seq, changedColumns(row, t.state)!);
  return store.bySeq(row.seq);
}

describe('queue store (real SQLite)', () => {
  it('takes in order: priority highest first, missing fields last, then oldest, then insertion order', () => {
    add({ priority: 1 }, 'low', 1000);
    add({}, 'none', 900);
    add({ priority: 5 }, 'high-late', 1200);
    add({ priority: 5 }, 'high-early', 1100);
    add({ priority: 5 }, 'high-early-2', 1100);
    const order = ['priority', [{ field: 'priority', direction: 'asc' as const }]] as const;
    const got = [1, 2, 3, 4, 5, 6].map(() => take(order[0], [...order[1]])?.id ?? null);
    expect(got).toEqual(['high-early', 'high-early-2', 'high-late', 'low', 'none', null]);
  });

  it('taking marks the row taken, counts the attempt and sets the deadline; a taken row is not taken again', () => {
    add({ a: 1 }, 'x');
    const row = take('created_at', [{ field: 'created_at', direction: 'asc' }], 5000)!;
    expect(row).toMatchObject({ id: 'x', status: 'taken', attempts: 1, taken_by: 't', visible_at: 5100 });
    expect(take('created_at', [{ field: 'created_at', direction: 'asc' }])).toBeUndefined();
    expect(store.overdue(5099)).toHaveLength(0);
    expect(store.overdue(5100).map((r) => r.id)).toEqual(['x']);
  });

  it('generated ids are sequence numbers that skip ids items already use; the id is in the data', () => {
    const first = add({ t: 'a' });
    add({}, String(first.seq + 1));
    const third = add({ t: 'c' });
    expect(third.id).toBe(String(first.seq + 2));
    expect(JSON.parse(third.data)).toEqual({ t: 'c', id: third.id });
  });

  it('one live row per id: the database refuses a second pending one', () => {
    add({}, 'dup');
    expect(() => add({}, 'dup')).toThrow(/UNIQUE/);
    store.update(store.live('/p', 'q', 'dup')!.seq, { status: 'completed' });
    expect(add({}, 'dup').status).toBe('pending');
  });

  it('prunes what has expired and reports the next expiry', () => {
    const a = add({}, 'a');
    const b = add({}, 'b');
    store.update(a.seq, { status: 'dead', expires_at: 100 });
    store.update(b.seq, { status: 'completed', expires_at: 200 });
    expect(store.nextExpiry()).toBe(100);
    expect(store.prune(150).map((g) => g.id)).toEqual(['a']);
    expect(store.nextExpiry()).toBe(200);
  });
});
