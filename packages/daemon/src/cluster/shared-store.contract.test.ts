/**
 * The shared-store contract: the same cases against the SQLite store (one
 * host, the default) and the PostgreSQL store (a real PostgreSQL 15 started
 * for this file; two stores with different host ids play two daemons).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PgServer, skipWithoutPg } from '../../../../test/pg/pg-server.js';
import type { Hold } from '../core/coordination/index.js';
import { stepItem } from '../core/queue/item-machine.js';
import type { ItemEvent, ItemSettings } from '../core/queue/item.js';
import { changedColumns, toQueueItem } from '../storage/queue-item-row.js';
import type { QueueItemRow } from '../storage/queue-store.js';
import type { ItemDecision, ItemNotice, QueueOrder, SharedStore } from '../storage/shared-store.js';
import { SqliteSharedStore } from '../storage/sqlite-shared-store.js';
import { Storage } from '../storage/storage.js';
import { migratePg, PG_MIGRATIONS } from './pg-migrations.js';
import { PgSharedStore } from './pg-shared-store.js';
import { SAME_NAMES } from './project-names.js';

const logger = winston.createLogger({ silent: true });
const SETTINGS: ItemSettings = {
  maxRetries: 1,
  visibilityTimeout: { text: '1m', ms: 60_000 },
  retention: { text: '1h', ms: 3_600_000 },
  onExhaust: [],
};
const FIFO: QueueOrder = { text: '', terms: [] };
const BY_PRIORITY: QueueOrder = { text: 'priority', terms: [{ field: 'priority', direction: 'desc' }] };
const P = '/work/web';

/** The item lifecycle's decision (what queues/item-lifecycle.ts hands the store). */
function step(event: ItemEvent, now: number): (row: QueueItemRow | undefined) => ItemDecision<QueueItemRow | null> {
  return (row) => {
    if (!row) return { write: null, result: null };
    const t = stepItem(toQueueItem(row), SETTINGS, event, now);
    return { write: { set: changedColumns(row, t.state), remove: t.removed, attempts: t.attempts }, result: { ...row, status: t.state.status, taken_by: t.state.takenBy } };
  };
}

interface Host {
  store: SharedStore;
  storage: Storage;
}

interface Backend {
  name: string;
  skip: () => boolean;
  /** A fresh shared database and `n` daemons on it (SQLite: one). */
  hosts(n: number, opts?: { leaseMs?: number }): Promise<Host[]>;
  teardown(): Promise<void>;
}

const dirs: string[] = [];
function localStorage(now: () => number = Date.now): Storage {
  const dir = mkdtempSync(join(tmpdir(), 'oj-shared-'));
  dirs.push(dir);
  return Storage.open(join(dir, 'state.db'), now);
}

const open: Host[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.store.close();
    h.storage.close();
  }
});
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sqlite: Backend = {
  name: 'sqlite',
  skip: () => false,
  hosts: async () => {
    const storage = localStorage();
    const h = { storage, store: new SqliteSharedStore(storage, 'solo') };
    open.push(h);
    return [h];
  },
  teardown: async () => {},
};

let server: PgServer | null = null;
const postgres: Backend = {
  name: 'postgres',
  skip: skipWithoutPg,
  hosts: async (n, opts = {}) => {
    server ??= PgServer.start();
    const url = await server.createDatabase('contract');
    const out: Host[] = [];
    for (let i = 0; i < n; i++) {
      const storage = localStorage();
      const store = await PgSharedStore.open({ url, hostId: `host-${i + 1}`, storage, names: SAME_NAMES, logger, leaseMs: opts.leaseMs ?? 60_000, pollMs: 100 });
      await store.start();
      const h = { storage, store };
      open.push(h);
      out.push(h);
    }
    return out;
  },
  teardown: async () => {
    server?.stop();
    server = null;
  },
};

for (const backend of [sqlite, postgres]) {
  describe.skipIf(backend.skip())(`shared store contract: ${backend.name}`, () => {
    beforeAll(() => {});
    afterAll(() => backend.teardown());

    it('adds items with generated and given ids, reporting live duplicates', async () => {
      const [{ store }] = (await backend.hosts(1)) as [Host];
      const seen: string[][] = [];
      const a = await store.queues.add(P, 'bugs', [{ id: null, data: { t: 1 } }, { id: 'x', data: { t: 2 } }], 1000, (added) => seen.push(added.map((r) => r.id)));
      expect(a.added.map((r) => r.id)).toEqual(['1', 'x']);
      expect(seen).toEqual([['1', 'x']]);
      const b = await store.queues.add(P, 'bugs', [{ id: 'x', data: {} }, { id: null, data: {} }], 1001, () => {});
      expect(b.duplicates).toEqual(['x']);
      expect(b.added.map((r) => r.id)).toEqual(['3']);
      expect(JSON.parse((await store.queues.live(P, 'bugs', 'x'))!.data)).toEqual({ t: 2, id: 'x' });
      expect(await store.queues.pendingCount(P, 'bugs')).toBe(3);
      expect(await store.queues.hasPending(P, 'bugs')).toBe(true);
      expect(await store.queues.hasPending(P, 'other')).toBe(false);
      expect(await store.queues.countByStatus(P)).toEqual({ pending: 3 });
      expect(await store.queues.projectsWithLiveItems()).toEqual([P]);
    });

    it('takes in queue order, writes attempts, and completes', async () => {
      const [{ store }] = (await backend.hosts(1)) as [Host];
      await store.queues.add(P, 'q', [{ id: 'low', data: { priority: 1 } }, { id: 'none', data: {} }, { id: 'high', data: { priority: 9 } }], 1000, () => {});
      const next = { next: { project: P, queue: 'q', order: BY_PRIORITY } };
      const order: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await store.queues.change(next, step({ type: 'take', by: `p${i}`, worker: 'w' }, 2000 + i));
        order.push(r!.id);
      }
      expect(order).toEqual(['high', 'low', 'none']);
      expect(await store.queues.change(next, step({ type: 'take', by: 'x', worker: 'w' }, 3000))).toBeNull();
      const held = await store.queues.takenByWorker(P, 'w');
      expect(held.map((r) => r.id).sort()).toEqual(['high', 'low', 'none']);
      const high = (await store.queues.live(P, 'q', 'high'))!;
      await store.queues.change({ seq: high.seq }, step({ type: 'complete' }, 4000));
      expect((await store.queues.latest(P, 'q', 'high'))!.status).toBe('completed');
      const attempts = await store.queues.attempts(high.seq);
      expect(attempts.map((a) => [a.attempt, a.outcome, a.taken_by])).toEqual([[1, 'completed', 'p0']]);
      const listed = await store.queues.list({ project: P, queue: 'q' }, FIFO);
      expect(listed.map((r) => r.status)).toEqual(['taken', 'taken', 'completed']);
    });

    it('a decision that throws changes nothing', async () => {
      const [{ store }] = (await backend.hosts(1)) as [Host];
      const { added } = await store.queues.add(P, 'q', [{ id: 'a', data: {} }], 1000, () => {});
      await expect(store.queues.change({ seq: added[0]!.seq }, step({ type: 'redrive' }, 2000))).rejects.toThrow(/not dead/);
      expect((await store.queues.bySeq(added[0]!.seq))!.status).toBe('pending');
    });

    it('concurrent takers each get a different item, every item exactly once', async () => {
      const hosts = await backend.hosts(2);
      const [first] = hosts as [Host];
      const ids = Array.from({ length: 40 }, (_, i) => ({ id: `i${i}`, data: {} }));
      await first.store.queues.add(P, 'q', ids, 1000, () => {});
      const next = { next: { project: P, queue: 'q', order: FIFO } };
      const takes = Array.from({ length: 50 }, (_, i) => hosts[i % hosts.length]!.store.queues.change(next, step({ type: 'take', by: `t${i}`, worker: 'w' }, 2000)));
      const got = (await Promise.all(takes)).filter((r) => r !== null).map((r) => r.id);
      expect(got.sort()).toEqual(ids.map((i) => i.id).sort());
      expect(await first.store.queues.countByStatus(P, 'q')).toEqual({ taken: 40 });
    });

    it('changes several items in one transaction: the next `count` pending in queue order, or by seq all or none', async () => {
      const [{ store, storage }] = (await backend.hosts(1)) as [Host];
      const data = [{ id: 'low', data: { priority: 1 } }, { id: 'none', data: {} }, { id: 'high', data: { priority: 9 } }];
      await store.queues.add(P, 'q', data, 1000, () => {});
      const next = { project: P, queue: 'q', order: BY_PRIORITY };
      const locals: string[] = [];
      const take = (by: string) => (row: QueueItemRow | undefined, i: number) => {
        const d = step({ type: 'take', by, worker: null }, 2000)(row);
        return { ...d, local: () => storage.afterCommit(() => locals.push(`${by}:${i}:${row?.id}`)) };
      };
      expect((await store.queues.changeMany({ next, count: 2 }, take('a'))).map((r) => r?.id)).toEqual(['high', 'low']);
      // Only the items there are: one left.
      expect((await store.queues.changeMany({ next, count: 5 }, take('b'))).map((r) => r?.id)).toEqual(['none']);
      expect(await store.queues.changeMany({ next, count: 5 }, take('c'))).toEqual([]);
      expect(locals).toEqual(['a:0:high', 'a:1:low', 'b:0:none']);
      const seq = async (id: string) => (await store.queues.live(P, 'q', id))!.seq;
      const [high, low, none] = [await seq('high'), await seq('low'), await seq('none')];
      const done = await store.queues.changeMany({ seqs: [low, high] }, (row) => step({ type: 'complete' }, 3000)(row));
      expect(done.map((r) => [r?.id, r?.status])).toEqual([
        ['low', 'completed'],
        ['high', 'completed'],
      ]);
      // A decision that throws (high is completed already) rolls back the ones before it.
      await expect(store.queues.changeMany({ seqs: [none, high] }, (row) => step({ type: 'complete' }, 4000)(row))).rejects.toThrow(/already completed/);
      expect((await store.queues.bySeq(none))!.status).toBe('taken');
      expect((await store.queues.attempts(none)).map((a) => a.outcome)).toEqual(['running']);
      // A row that is gone is decided as undefined.
      expect(await store.queues.changeMany({ seqs: [none, 999_999] }, (row) => ({ write: null, result: row?.id ?? null }))).toEqual(['none', null]);
    });

    it('concurrent batch takers each get different items, every item exactly once', async () => {
      const hosts = await backend.hosts(2);
      const [first] = hosts as [Host];
      const ids = Array.from({ length: 40 }, (_, i) => ({ id: `i${i}`, data: {} }));
      await first.store.queues.add(P, 'q', ids, 1000, () => {});
      const next = { project: P, queue: 'q', order: FIFO };
      const takes = Array.from({ length: 10 }, (_, i) => hosts[i % hosts.length]!.store.queues.changeMany({ next, count: 7 }, step({ type: 'take', by: `t${i}`, worker: 'w' }, 2000)));
      const got = (await Promise.all(takes)).flat().map((r) => r!.id);
      expect(got.sort()).toEqual(ids.map((i) => i.id).sort());
      expect(await first.store.queues.countByStatus(P, 'q')).toEqual({ taken: 40 });
    });

    it('settles a change decided in a local write (idempotent, applied once the write commits)', async () => {
      const [{ store, storage }] = (await backend.hosts(1)) as [Host];
      const { added } = await store.queues.add(P, 'q', [{ id: 'a', data: {} }], 1000, () => {});
      const seq = added[0]!.seq;
      await store.queues.change({ seq }, step({ type: 'take', by: 'pipe', worker: 'w' }, 1500));
      const ended: ItemEvent = { type: 'pipelineEnded', pipeline: 'pipe', handle: 'pipe', attempt: 1, worker: 'w', status: 'done', error: null, timedOut: false };
      store.queues.setSettler((row, payload) => ({ ...step(payload as unknown as ItemEvent, 2000)(row), result: undefined }));
      storage.write(() => {
        store.queues.settle(seq, ended as never);
        store.queues.settle(seq, ended as never);
      });
      await waitUntil(async () => (await store.queues.bySeq(seq))?.status === 'completed');
      const attempts = await store.queues.attempts(seq);
      expect(attempts.map((a) => a.outcome)).toEqual(['completed']);
    });

    it('settles a release decided in a local write: applied once that commits (nothing when it rolls back), the run it names kept with the hold', async () => {
      const [{ store, storage }] = (await backend.hosts(1)) as [Host];
      const key = { kind: 'lock' as const, project: P, resource: 'f.lock.main' };
      const told: string[] = [];
      // What the coordinator's settler does, in short: release the hold if it is this run's.
      store.resources.setSettler((_k, holds, _waiters, payload) => {
        const p = payload as { holder: string; run: number };
        const mine = holds.find((h) => h.holder === p.holder && h.run === p.run);
        return { writes: mine ? [{ type: 'deleteHold', id: mine.id }] : [], result: undefined, local: () => storage.afterCommit(() => told.push(`${p.holder}@${p.run}`)) };
      });
      await store.resources.change(key, () => ({ writes: [{ type: 'insertHold', hold: { ...hold('p1', 1000), holderKind: 'pipeline', phase: 'merge', run: 3 } }], result: null }));
      expect((await store.resources.holds(key)).map((h) => [h.holder, h.phase, h.run])).toEqual([['p1', 'merge', 3]]);
      expect(() =>
        storage.write(() => {
          store.resources.settle(key, { holder: 'p1', run: 3 });
          throw new Error('rolled back');
        }),
      ).toThrow(/rolled back/);
      storage.write(() => store.resources.settle(key, { holder: 'p1', run: 2 }));
      storage.write(() => store.resources.settle(key, { holder: 'p1', run: 3 }));
      await waitUntil(async () => (await store.resources.holds(key)).length === 0);
      await waitUntil(() => told.length === 2);
      expect(told).toEqual(['p1@2', 'p1@3']);
    });

    it('finds overdue items and prunes expired ones', async () => {
      const [{ store }] = (await backend.hosts(1)) as [Host];
      const { added } = await store.queues.add(P, 'q', [{ id: 'a', data: {} }, { id: 'b', data: {} }], 1000, () => {});
      await store.queues.change({ seq: added[0]!.seq }, step({ type: 'take', by: 'p', worker: 'w' }, 1000));
      expect(await store.queues.nextVisibleAt()).toBe(61_000);
      expect(await store.queues.overdue(60_999)).toEqual([]);
      expect((await store.queues.overdue(61_000)).map((r) => r.id)).toEqual(['a']);
      // Of some projects only (a cluster host sweeps the projects it leads).
      expect((await store.queues.overdue(61_000, [P])).map((r) => r.id)).toEqual(['a']);
      expect(await store.queues.overdue(61_000, ['/work/other'])).toEqual([]);
      expect(await store.queues.overdue(61_000, [])).toEqual([]);
      expect(await store.queues.nextVisibleAt(['/work/other'])).toBeNull();
      expect(await store.queues.nextVisibleAt([P])).toBe(61_000);
      await store.queues.change({ seq: added[1]!.seq }, step({ type: 'remove' }, 1000));
      await store.queues.change({ seq: added[0]!.seq }, step({ type: 'complete' }, 2000));
      expect(await store.queues.nextExpiry()).toBe(2000 + 3_600_000);
      const pruned: string[] = [];
      const gone = await store.queues.prune(2000 + 3_600_000, undefined, (g) => pruned.push(...g.map((x) => x.id)));
      expect(gone.map((g) => [g.id, g.status])).toEqual([['a', 'completed']]);
      expect(pruned).toEqual(['a']);
      // Only the projects named (a cluster host prunes the projects it leads).
      const other = '/work/other';
      for (const project of [P, other]) {
        const [item] = (await store.queues.add(project, 'q', [{ id: 'c', data: {} }], 3000, () => {})).added;
        await store.queues.change({ seq: item!.seq }, step({ type: 'complete' }, 3000));
      }
      expect((await store.queues.prune(3000 + 3_600_000, [other], () => {})).map((g) => g.project)).toEqual([other]);
      expect(await store.queues.prune(3000 + 3_600_000, [], () => {})).toEqual([]);
      expect((await store.queues.prune(3000 + 3_600_000, undefined, () => {})).map((g) => g.project)).toEqual([P]);
    });

    it('records source pulls: seen items keep their row, new ones are added, generations advance', async () => {
      const [{ store }] = (await backend.hosts(1)) as [Host];
      const first = await store.queues.recordPull(P, 's', ['a'], 1000, () => ({ seen: [], insert: [{ id: 'a', data: { v: 1 } }] }), () => {});
      expect(first.map((r) => r.id)).toEqual(['a']);
      let sawKnown: string | undefined;
      await store.queues.recordPull(P, 's', ['a', 'b'], 2000, (known, prev) => {
        sawKnown = `${known.get('a')?.live?.id}:${String(known.get('b')?.live)}:${prev}`;
        return { seen: [{ seq: known.get('a')!.live!.seq, data: '{"v":2,"id":"a"}' }], insert: [{ id: 'b', data: {} }] };
      }, () => {});
      expect(sawKnown).toBe('a:undefined:1');
      expect(JSON.parse((await store.queues.live(P, 's', 'a'))!.data)).toEqual({ v: 2, id: 'a' });
      expect(await store.queues.source(P, 's')).toMatchObject({ pull_gen: 2, last_error: null });
      await store.queues.sourceFailed(P, 's', 3000, 'boom', () => {});
      expect(await store.queues.source(P, 's')).toMatchObject({ pull_gen: 2, last_error: 'boom', last_pull_at: 3000 });
    });

    it('locks: one holder cluster-wide, waiters first come first served across hosts, a grant told to the waiter\'s host', async () => {
      const hosts = await backend.hosts(2);
      const a = hosts[0]!;
      const b = hosts[hosts.length - 1]!;
      const key = { kind: 'lock' as const, project: P, resource: 'f.lock.main' };
      const granted: string[] = [];
      b.store.onRemoteGrant((k, holder) => granted.push(`${k.resource} ${holder}`));
      const take = (h: Host, holder: string) =>
        h.store.resources.change(key, (holds, waiters) => {
          if (holds.length === 0 && waiters.length === 0) {
            return { writes: [{ type: 'insertHold', hold: hold(holder, 1000) }], result: 'held' };
          }
          return { writes: [{ type: 'insertWaiter', waiter: { holder, holderKind: 'external', weight: 1, phase: null, run: null, since: 1000 } }], result: 'waiting' };
        });
      // Every host races for it at once: exactly one holds, the others wait in line.
      const results = await Promise.all([take(a, 'x1'), take(b, 'y1'), take(a, 'x2'), take(b, 'y2')]);
      expect(results.filter((r) => r === 'held')).toHaveLength(1);
      const holds = await a.store.resources.holds(key);
      const line = await b.store.resources.waiters(key);
      expect(holds).toHaveLength(1);
      expect(line.map((w) => w.holder)).toHaveLength(3);
      // The holder releases; the head of the line gets it (on its own host).
      const head = line[0]!;
      await a.store.resources.change(key, (hs, ws) => ({
        writes: [
          { type: 'deleteHold', id: hs[0]!.id },
          { type: 'deleteWaiter', id: ws[0]!.id },
          { type: 'insertHold', hold: hold(ws[0]!.holder, 2000) },
        ],
        result: null,
        granted: [ws[0]!.holder],
      }));
      const after = await b.store.resources.holds(key);
      expect(after.map((h) => h.holder)).toEqual([head.holder]);
      expect(after[0]!.host).toBe(head.host);
      expect((await b.store.resources.waiters(key)).map((w) => w.holder)).toEqual(line.slice(1).map((w) => w.holder));
      if (backend.name === 'postgres' && head.host === 'host-2') await waitUntil(() => granted.length > 0);
      if (backend.name === 'postgres' && head.host === 'host-2') expect(granted).toEqual([`f.lock.main ${head.holder}`]);
      expect((await a.store.resources.allHolds({ kind: 'lock' })).map((h) => h.holder)).toEqual([head.holder]);
    });

    it('a cron slot is claimed once, by one daemon, which takes its step with the answer', async () => {
      const hosts = await backend.hosts(2);
      const mine = (m: boolean) => m;
      const claims = await Promise.all(hosts.map((h) => h.store.crons.claimSlot(P, 'tick', 5000, 5000, mine)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      const winner = hosts[claims.indexOf(true)]!;
      expect(await hosts[0]!.store.crons.claimSlot(P, 'tick', 6000, 6000, mine)).toBe(true);
      expect(await hosts[0]!.store.crons.claimSlot(P, 'other', 5000, 6000, mine)).toBe(true);
      // Which of these slots another daemon ran (claimed): none on one host.
      const [first, second] = hosts;
      expect(await first!.store.crons.claimedElsewhere(P, 'tick', [4000, 5000, 6000])).toEqual(winner === first ? [] : [5000]);
      if (second) expect((await second.store.crons.claimedElsewhere(P, 'tick', [4000, 5000, 6000])).sort()).toEqual(winner === second ? [6000] : [5000, 6000]);
    });

    it('a step that fails leaves the slot to the same daemon: claimed with it, or its own again', async () => {
      const [a] = await backend.hosts(1);
      await expect(a!.store.crons.claimSlot(P, 'tick', 7000, 7000, () => {
        throw new Error('crashed in between');
      })).rejects.toThrow(/crashed in between/);
      expect(await a!.store.crons.claimSlot(P, 'tick', 7000, 7001, (m) => m)).toBe(true);
    });
  });
}

describe.skipIf(postgres.skip())('shared store: what only a cluster has', () => {
  afterAll(() => postgres.teardown());

  it('a worker counts only what its own host holds', async () => {
    const [a, b] = (await postgres.hosts(2)) as [Host, Host];
    await a.store.queues.add(P, 'q', [{ id: '1', data: {} }, { id: '2', data: {} }], 1000, () => {});
    const next = { next: { project: P, queue: 'q', order: FIFO } };
    await a.store.queues.change(next, step({ type: 'take', by: 'pa', worker: 'w' }, 1000));
    await b.store.queues.change(next, step({ type: 'take', by: 'pb', worker: 'w' }, 1000));
    expect((await a.store.queues.takenByWorker(P, 'w')).map((r) => r.taken_by)).toEqual(['pa']);
    expect((await b.store.queues.heldHere()).map((r) => r.taken_by)).toEqual(['pb']);
  });

  it('tells the other hosts about new items (NOTIFY), not itself', async () => {
    const [a, b] = (await postgres.hosts(2)) as [Host, Host];
    const heardByA: (ItemNotice | null)[] = [];
    const heardByB: (ItemNotice | null)[] = [];
    a.store.onRemoteChange((n) => heardByA.push(n));
    b.store.onRemoteChange((n) => heardByB.push(n));
    await a.store.queues.add(P, 'q', [{ id: '1', data: {} }], 1000, () => {});
    await waitUntil(() => heardByB.length > 0);
    expect(heardByB[0]).toMatchObject({ project: P, queue: 'q', reason: 'added' });
    expect(heardByA).toEqual([]);
  });

  it("a host silent past its lease is gone: its taken items are overdue at once", async () => {
    const [a, b] = (await postgres.hosts(2, { leaseMs: 60_000 })) as [Host, Host];
    await a.store.queues.add(P, 'q', [{ id: '1', data: {} }], 1000, () => {});
    await a.store.queues.change({ next: { project: P, queue: 'q', order: FIFO } }, step({ type: 'take', by: 'pa', worker: 'w' }, Date.now()));
    const now = Date.now();
    expect(await b.store.queues.overdue(now)).toEqual([]);
    const later = now + 120_000;
    // a stops heartbeating (closed); b is still heartbeating as far as b's own rows go.
    await a.store.close();
    open.splice(open.indexOf(a), 1);
    a.storage.close();
    const overdue = await b.store.queues.overdue(later);
    expect(overdue.map((r) => [r.id, (r as { hostGone?: boolean }).hostGone])).toEqual([['1', true]]);
    expect((await b.store.hosts()).map((h) => h.host)).toEqual(['host-1', 'host-2']);
  });

  it('a daemon refuses a cluster database whose schema is newer than it knows, and leaves it as it is', async () => {
    const [a] = (await postgres.hosts(1)) as [Host];
    const db = (a.store as PgSharedStore).db;
    await db.updateTable('oj_meta').set({ value: '999' }).where('key', '=', 'schema_version').execute();
    await expect(migratePg(db)).rejects.toThrow(/schema is version 999, newer than this ojd knows \(\d+\)/);
    expect((await db.selectFrom('oj_meta').select('value').where('key', '=', 'schema_version').executeTakeFirst())?.value).toBe('999');
    expect(await migratePg(db, PG_MIGRATIONS.slice(0, 0)).catch((e: unknown) => String(e))).toMatch(/newer/);
  });

  it('refuses new shared work with a clear error while the database is down, and works again after', async () => {
    const [a] = (await postgres.hosts(1)) as [Host];
    server!.stopServer();
    try {
      await expect(a.store.queues.add(P, 'q', [{ id: '1', data: {} }], 1000, () => {})).rejects.toThrow(/cluster database .* cannot be reached/);
    } finally {
      server!.startServer();
    }
    await waitUntil(async () => {
      try {
        await a.store.queues.add(P, 'q', [{ id: '1', data: {} }], 1000, () => {});
        return true;
      } catch {
        return false;
      }
    });
    expect(await a.store.queues.pendingCount(P, 'q')).toBe(1);
  });
});

function hold(holder: string, at: number): Hold {
  return { holder, holderKind: 'external', weight: 1, phase: null, run: null, acquiredAt: at, heartbeatAt: at, heartbeatMs: 60_000, timeoutMs: null, staleAt: null, staleReason: null };
}

async function waitUntil(probe: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
