/**
 * Batch consumers in cluster mode: two real ojd on one PostgreSQL
 * (test/helpers/cluster-kit.ts), consumers on both taking batches
 * (`queues.take` with `count`: FOR UPDATE SKIP LOCKED LIMIT n) and
 * completing them in one call (`ids`, all or none).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, OjError, QueueMethods } from '@oj/protocol';
import { clusterSuite } from './helpers/cluster-kit.js';
import { Rpc } from './helpers/rpc-call.js';

const { kit, skip } = clusterSuite();
const clients: Rpc[] = [];

// Runs before the suite's own clean-up (after-hooks run last-registered first).
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

describe.skipIf(skip)('cluster mode: batch take and complete', () => {
  it('consumers on two hosts take batches and complete them in one call each: every item once; a batch naming an item completed on the other host changes nothing', async () => {
    const [a, b] = await kit.two('[queue.jobs]\nvisibility_timeout = "1h"\n');
    const N = 120;
    await a.rpc.call(QueueMethods.Add, { project: a.root, queue: 'jobs', items: Array.from({ length: N }, (_, i) => ({ id: `j${i}` })) });
    const got: string[] = [];
    const consumer = async (host: typeof a) => {
      const c = await Rpc.connect(host.t.socket);
      clients.push(c);
      for (;;) {
        const { items } = await c.call(QueueMethods.Take, { project: host.root, queue: 'jobs', by: 'consumer', count: 7 });
        if (!items.length) return;
        const done = await c.call(QueueMethods.Complete, { project: host.root, queue: 'jobs', ids: items.map((i) => i.id) });
        expect(done.items.every((i) => i.status === 'completed')).toBe(true);
        got.push(...items.map((i) => i.id));
      }
    };
    await Promise.all([a, b, a, b].map(consumer));
    expect(got).toHaveLength(N);
    expect(new Set(got).size).toBe(N);
    expect((await b.rpc.call(QueueMethods.Queues, { project: b.root })).queues[0]!.counts).toMatchObject({ completed: N, pending: 0, taken: 0 });

    // All or none across hosts: x taken on host-b, j0 completed (whichever host did it): nothing changes.
    await a.rpc.call(QueueMethods.Add, { project: a.root, queue: 'jobs', items: [{ id: 'x' }] });
    expect((await b.rpc.call(QueueMethods.Take, { project: b.root, queue: 'jobs', count: 5 })).items.map((i) => i.id)).toEqual(['x']);
    const err = await b.rpc.call(QueueMethods.Complete, { project: b.root, queue: 'jobs', ids: ['x', 'j0'] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OjError);
    expect((err as OjError).code).toBe(ErrorCode.IllegalState);
    expect((err as OjError).data).toMatchObject({ item: 'j0', index: 1, state: 'completed' });
    const x = await a.rpc.call(QueueMethods.Show, { project: a.root, queue: 'jobs', id: 'x' });
    expect(x.item).toMatchObject({ status: 'taken', host: 'host-b' });
    expect(x.attempts.map((t) => t.outcome)).toEqual(['running']);
    expect((await a.rpc.call(QueueMethods.Complete, { project: a.root, queue: 'jobs', ids: ['x'] })).items[0]!.status).toBe('completed');
  }, 240_000);
});
