/**
 * Property test: the order in which the store hands out pending items (its
 * SQL over json_extract) is the order core/queue/order.ts states, for random
 * items and orders, including items released again after a failure. Seeded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prng as random } from '../../../../test/prng/prng.js';
import { stepItem } from '../core/queue/item-machine.js';
import type { ItemSettings } from '../core/queue/item.js';
import { compareItems, type OrderTerm } from '../core/queue/order.js';
import { openDatabase, type OpenedDatabase } from './database.js';
import { changedColumns, toQueueItem } from './queue-item-row.js';
import { orderClause } from './queue-order.js';
import { QueueStore, takeSql, type QueueItemRow } from './queue-store.js';

type Rng = ReturnType<typeof random>;

/** A field value of any JSON type, or missing (undefined). */
function value(r: Rng): unknown {
  switch (r.int(0, 8)) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return r.chance(0.5);
    case 3:
      return r.int(0, 4) - 2 + (r.chance(0.3) ? 0.5 : 0);
    case 4:
    case 5:
      return r.int(0, 3);
    case 6:
      return r.pick(['', 'a', 'B', 'ab', 'é', 'z', '10', '9', 'Ω', '😀']);
    case 7:
      return r.pick([[1], { x: 1 }, []]);
    default:
      return r.int(0, 2);
  }
}

const ORDERS: [string, OrderTerm[]][] = [
  ['created_at ASC', [{ field: 'created_at', direction: 'asc' }]],
  ['created_at DESC', [{ field: 'created_at', direction: 'desc' }]],
  ['priority', [{ field: 'priority', direction: 'asc' }]],
  ['priority ASC', [{ field: 'priority', direction: 'asc' }]],
  ['priority DESC, created_at ASC', [{ field: 'priority', direction: 'desc' }, { field: 'created_at', direction: 'asc' }]],
  ['bug.severity DESC, rank', [{ field: 'bug.severity', direction: 'desc' }, { field: 'rank', direction: 'asc' }]],
  ['rank, priority DESC', [{ field: 'rank', direction: 'asc' }, { field: 'priority', direction: 'desc' }]],
  ['rank, rank DESC', [{ field: 'rank', direction: 'asc' }, { field: 'rank', direction: 'desc' }]],
];

const settings: ItemSettings = { maxRetries: 100, visibilityTimeout: { text: '1m', ms: 60_000 }, retention: { text: '1d', ms: 86_400_000 }, onExhaust: [] };

let dir: string;
let db: OpenedDatabase;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oj-take-order-'));
  db = openDatabase(join(dir, 'oj.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const orderable = (row: QueueItemRow) => ({ data: JSON.parse(row.data) as Record<string, unknown>, createdAt: row.created_at, seq: row.seq });

describe('take order (real SQLite against core/queue/order.ts)', () => {
  it('hands out pending items in the stated order, for random items and orders, with items released again', () => {
    let takes = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const r = random(seed);
      const store = new QueueStore(db);
      const queue = `q${seed}`;
      const [text, terms] = r.pick(ORDERS);
      const clause = orderClause(text, terms);
      const n = 5 + r.int(0, 19);
      for (let i = 0; i < n; i++) {
        const data: Record<string, unknown> = {};
        for (const f of ['priority', 'rank']) {
          const v = value(r);
          if (v !== undefined) data[f] = v;
        }
        if (r.chance(0.6)) data.bug = r.chance(0.8) ? { severity: value(r) } : value(r);
        store.insert({ project: '/p', queue, id: null, data, origin: 'added', now: 1000 + r.int(0, 3) * 100, seenPull: null });
      }
      let now = 10_000;
      for (;;) {
        const pending = store.list({ project: '/p', queue, statuses: ['pending'] }, null);
        const row = store.nextPending('/p', queue, clause);
        if (!row) {
          expect(pending).toEqual([]);
          break;
        }
        const expected = [...pending].sort((a, b) => compareItems(text, terms, orderable(a), orderable(b)))[0]!;
        expect({ seed, order: text, took: row.data }).toEqual({ seed, order: text, took: expected.data });
        expect(row.seq).toBe(expected.seq);
        // Take it; now and then it fails and is visible again, in its place.
        const taken = stepItem(toQueueItem(row), settings, { type: 'take', by: 'p', worker: null }, now++);
        const t = r.chance(0.3) ? stepItem(taken.state, settings, { type: 'fail', error: 'x', outcome: 'failed' }, now++) : stepItem(taken.state, settings, { type: 'complete' }, now++);
        store.update(row.seq, changedColumns(row, t.state)!);
        takes++;
      }
    }
    expect(takes).toBeGreaterThan(500);
  });

  it('a take in the default order (and by created_at either way) reads the first pending entry of the queue index: no sort of the pending items', () => {
    // The default order once repeated created_at as its own tie-breaker, and SQLite sorted every pending item on each take.
    for (const [text, terms] of ORDERS.filter(([t]) => t.startsWith('created_at'))) {
      const c = orderClause(text, terms);
      const plan = (db.runner.sqlite.prepare(`EXPLAIN QUERY PLAN ${takeSql(c)}`).all('/p', 'q', ...c.params, 1) as { detail: string }[]).map((r) => r.detail);
      expect(plan.join('; ')).toContain('USING INDEX queue_items_order');
      if (text === 'created_at ASC') expect(plan.join('; ')).not.toMatch(/TEMP B-TREE/);
    }
  });
});
