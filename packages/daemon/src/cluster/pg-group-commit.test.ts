/**
 * Group commit on PostgreSQL (pg-durability.ts): shared transactions commit
 * with synchronous_commit off, and a request that made one is answered only
 * once a durable commit has followed it. Shown by holding the durable commit
 * back with a row lock (not by timing): the answer waits for it.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ErrorCode, OjError, QueueMethods } from '@oj/protocol';
import { pgStoreKit } from './pg-store.test-kit.js';
import { RpcRouter } from '../rpc/rpc-router.js';
import type { ConnectionContext } from '../rpc/connection-context.js';
import type { Storage } from '../storage/storage.js';
import type { PgSharedStore } from './pg-shared-store.js';
import { SAME_NAMES } from './project-names.js';

const kit = pgStoreKit('group');
const { skip, logger } = kit;

async function host(id = 'host-1'): Promise<{ store: PgSharedStore; storage: Storage; url: string }> {
  const url = await kit.database('group');
  const { store, storage } = await kit.host(url, { hostId: id, names: SAME_NAMES, leaseMs: 600_000 });
  return { store, storage, url };
}

/** A router answering queues.add through the store, with the daemon's durable wait. */
function router(store: PgSharedStore): (items: number) => Promise<{ result?: unknown; error?: { code: number; data?: unknown } }> {
  const r = new RpcRouter(logger);
  r.durable = () => store.makeDurable();
  r.handle(QueueMethods.Add, async (p) => {
    const { added, duplicates } = await store.queues.add(p.project, p.queue, p.items.map((data) => ({ id: null, data })), Date.now(), () => {});
    return { ids: added.map((a) => a.id), added: added.length, duplicates };
  });
  let id = 0;
  return async (n) => {
    const res = await r.server.receive(
      { jsonrpc: '2.0', id: ++id, method: QueueMethods.Add.name, params: { project: '/p', queue: 'q', items: Array.from({ length: n }, (_, i) => ({ n: i })) } },
      {} as ConnectionContext,
    );
    return res as { result?: unknown; error?: { code: number; data?: unknown } };
  };
}

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(skip)('group commit on PostgreSQL', () => {
  it('shared transactions commit without waiting for the disk (synchronous_commit off on the pool)', async () => {
    const { store } = await host();
    const r = await store.db.selectNoFrom((eb) => eb.fn<string>('current_setting', [eb.val('synchronous_commit')]).as('s')).executeTakeFirst();
    expect(r?.s).toBe('off');
  });

  it("a request's answer waits for the durable commit that follows its shared commit", async () => {
    const { store, url } = await host();
    const add = router(store);
    // Nothing pending: an answer goes out without a durable commit.
    expect(store.durability.pending).toBe(0);
    // Hold this host's row: the durable commit (which writes it) waits behind the lock.
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query("SELECT * FROM hosts WHERE host = 'host-1' FOR UPDATE");
      let answered = false;
      const answer = add(3).then((r) => {
        answered = true;
        return r;
      });
      // The items are committed (another session sees them) and the durable commit is waiting for the lock
      // (the heartbeat, the only other writer of the row, comes every 200 s here)...
      await until('the durable commit to wait', async () => {
        // (pg_stat_activity's query text may still show the session's previous statement: count the waiters.)
        const w = await blocker.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
        return (w.rows[0] as { n: number }).n === 1;
      });
      expect(Number((await blocker.query("SELECT count(*) AS n FROM queue_items WHERE project = '/p'")).rows[0].n)).toBe(3);
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      // ...and the answer has not left.
      expect(answered).toBe(false);
      expect(store.durability.pending).toBe(1);
      await blocker.query('COMMIT');
      expect((await answer).result).toMatchObject({ added: 3 });
      expect(store.durability.pending).toBe(0);
    } finally {
      await blocker.end();
    }
  });

  it('callers waiting together share one durable commit; a read-only request waits for none', async () => {
    const { store } = await host();
    const add = router(store);
    const before = await store.db.selectFrom('hosts').select('durable_at').where('host', '=', 'host-1').executeTakeFirst();
    expect(before?.durable_at ?? null).toBeNull();
    await Promise.all([add(1), add(1), add(1)]);
    expect(store.durability.pending).toBe(0);
    const r = new RpcRouter(logger);
    let asked = 0;
    r.durable = () => {
      asked++;
      return store.makeDurable();
    };
    r.handle(QueueMethods.Queues, async () => ({ queues: [], n: await store.queues.pendingCount('/p', 'q') }) as never);
    await r.server.receive({ jsonrpc: '2.0', id: 1, method: QueueMethods.Queues.name, params: { project: '/p' } }, {} as ConnectionContext);
    expect(asked).toBe(0);
  });

  it('a commit that cannot be made durable (the database went away) is not answered as done: a clear error says it may be lost', async () => {
    const { store } = await host();
    await store.queues.add('/p', 'q', [{ id: 'x', data: {} }], Date.now(), () => {});
    kit.server().stopServer();
    try {
      const err = await store.makeDurable().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(OjError);
      expect((err as OjError).code).toBe(ErrorCode.Unavailable);
      expect((err as OjError).data).toMatchObject({ kind: 'cluster_unavailable', durable: false });
      expect((err as OjError).message).toMatch(/cluster database .* cannot be reached: .*may not be recorded/);
    } finally {
      kit.server().startServer();
    }
  });
});
