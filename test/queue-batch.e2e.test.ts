/**
 * Batch consumers, end to end with a real ojd and the real oj: `queues.take`
 * with `count` takes up to that many items in one transaction, and
 * `queues.complete`/`queues.fail` with `ids` finish several, all or none,
 * with an error naming the item that stops them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, OjError, QueueMethods } from '@oj/protocol';
import { TestEnv, makeProject } from './helpers/ojd-harness.js';
import { Rpc } from './helpers/rpc-call.js';

let t: TestEnv;
let rpcs: Rpc[] = [];
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  for (const r of rpcs) r.close();
  rpcs = [];
  await t.cleanup();
});

async function connect(): Promise<Rpc> {
  const rpc = await Rpc.connect(t.socket);
  rpcs.push(rpc);
  return rpc;
}

/** A started daemon, a project with queue `jobs` (items retried once), and `n` items j0..j(n-1) added in that order. */
async function setup(n: number): Promise<{ rpc: Rpc; root: string }> {
  await t.startDaemon();
  const rpc = await connect();
  const root = makeProject(t, 'proj', { q: '[queue.jobs]\nvisibility_timeout = "1h"\nmax_retries = 1\n' });
  if (n) await rpc.call(QueueMethods.Add, { project: root, queue: 'jobs', items: Array.from({ length: n }, (_, i) => ({ id: `j${i}`, n: i })) });
  return { rpc, root };
}

async function statuses(rpc: Rpc, root: string): Promise<Record<string, string>> {
  const { items } = await rpc.call(QueueMethods.List, { project: root, queue: 'jobs', pull: false });
  return Object.fromEntries(items.map((i) => [i.id, i.status]));
}

function rejection(p: Promise<unknown>): Promise<OjError> {
  return p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => {
      if (!(e instanceof OjError)) throw e;
      return e;
    },
  );
}

describe('queues.take with count', () => {
  it('takes up to count items in queue order in one call (fewer when fewer are visible); item is the first', async () => {
    const { rpc, root } = await setup(5);
    const three = await rpc.call(QueueMethods.Take, { project: root, queue: 'jobs', by: 'batch', count: 3 });
    expect(three.items.map((i) => i.id)).toEqual(['j0', 'j1', 'j2']);
    expect(three.items.every((i) => i.status === 'taken' && i.takenBy === 'batch' && i.attempts === 1)).toBe(true);
    expect(three.item?.id).toBe('j0');
    const rest = await rpc.call(QueueMethods.Take, { project: root, queue: 'jobs', count: 10 });
    expect(rest.items.map((i) => i.id)).toEqual(['j3', 'j4']);
    const none = await rpc.call(QueueMethods.Take, { project: root, queue: 'jobs', count: 10 });
    expect(none).toEqual({ item: null, items: [] });
    // Without count: one item, as before batches existed.
    await rpc.call(QueueMethods.Add, { project: root, queue: 'jobs', items: [{ id: 'x' }] });
    const one = await rpc.call(QueueMethods.Take, { project: root, queue: 'jobs' });
    expect(one.item?.id).toBe('x');
    expect(one.items.map((i) => i.id)).toEqual(['x']);
  });

  it('concurrent batch takers never get the same item', async () => {
    const { root } = await setup(200);
    const clients = await Promise.all(Array.from({ length: 6 }, () => connect()));
    const got: string[] = [];
    await Promise.all(
      clients.map(async (c, n) => {
        for (;;) {
          const { items } = await c.call(QueueMethods.Take, { project: root, queue: 'jobs', by: `c${n}`, count: 7 });
          if (!items.length) return;
          got.push(...items.map((i) => i.id));
        }
      }),
    );
    expect(got.length).toBe(200);
    expect(new Set(got).size).toBe(200);
  });

  it('count outside 1..100 is invalid params, nothing taken', async () => {
    const { rpc, root } = await setup(2);
    for (const count of [0, 101, 1.5]) {
      const err = await rejection(rpc.call(QueueMethods.Take, { project: root, queue: 'jobs', count }));
      expect(err.code).toBe(ErrorCode.InvalidParams);
    }
    expect(await statuses(rpc, root)).toEqual({ j0: 'pending', j1: 'pending' });
  });
});

describe('queues.complete and queues.fail with ids', () => {
  it('complete several in one call: each reported, all completed', async () => {
    const { rpc, root } = await setup(4);
    const { items } = await rpc.call(QueueMethods.Take, { project: root, queue: 'jobs', count: 4 });
    const r = await rpc.call(QueueMethods.Complete, { project: root, queue: 'jobs', ids: items.map((i) => i.id).reverse() });
    expect(r.items.map((i) => [i.id, i.status])).toEqual([
      ['j3', 'completed'],
      ['j2', 'completed'],
      ['j1', 'completed'],
      ['j0', 'completed'],
    ]);
    expect(r.item.id).toBe('j3');
    expect(await statuses(rpc, root)).toEqual({ j0: 'completed', j1: 'completed', j2: 'completed', j3: 'completed' });
  });

  it('all or none: an item already completed, not found or named twice fails the call with an error naming it, and nothing changes', async () => {
    const { rpc, root } = await setup(3);
    await rpc.call(QueueMethods.Take, { project: root, queue: 'jobs', count: 3 });
    await rpc.call(QueueMethods.Complete, { project: root, queue: 'jobs', id: 'j2' }); // j0, j1 taken; j2 completed
    const before = await statuses(rpc, root);

    const done = await rejection(rpc.call(QueueMethods.Complete, { project: root, queue: 'jobs', ids: ['j0', 'j2', 'j1'] }));
    expect(done.code).toBe(ErrorCode.IllegalState);
    expect(done.data).toMatchObject({ kind: 'illegal_state', item: 'j2', index: 1, state: 'completed' });
    expect(done.message).toBe('jobs/j2: item jobs/j2 is already completed');

    const missing = await rejection(rpc.call(QueueMethods.Complete, { project: root, queue: 'jobs', ids: ['j0', 'nope'] }));
    expect(missing.code).toBe(ErrorCode.NotFound);
    expect(missing.data).toMatchObject({ kind: 'not_found', item: 'nope', index: 1 });

    const twice = await rejection(rpc.call(QueueMethods.Fail, { project: root, queue: 'jobs', ids: ['j1', 'j0', 'j1'] }));
    expect(twice.code).toBe(ErrorCode.BadArguments);
    expect(twice.data).toMatchObject({ kind: 'bad_arguments', item: 'j1', index: 2 });

    expect(await statuses(rpc, root)).toEqual(before);
    const shown = await rpc.call(QueueMethods.Show, { project: root, queue: 'jobs', id: 'j0' });
    expect(shown.attempts.map((a) => a.outcome)).toEqual(['running']);
  });

  it('id and ids together, or neither, is invalid params', async () => {
    const { rpc, root } = await setup(1);
    await rpc.call(QueueMethods.Take, { project: root, queue: 'jobs' });
    for (const p of [{ id: 'j0', ids: ['j0'] }, {}, { ids: [] }]) {
      const err = await rejection(rpc.call(QueueMethods.Complete, { project: root, queue: 'jobs', ...p }));
      expect(err.code).toBe(ErrorCode.InvalidParams);
    }
    expect(await statuses(rpc, root)).toEqual({ j0: 'taken' });
  });

  it('fail several: each retried by its own failure count', async () => {
    const { rpc, root } = await setup(3);
    await rpc.call(QueueMethods.Take, { project: root, queue: 'jobs', count: 3 });
    const first = await rpc.call(QueueMethods.Fail, { project: root, queue: 'jobs', ids: ['j0', 'j1'], error: 'flaky' });
    expect(first.items.map((i) => [i.id, i.status, i.failures, i.error])).toEqual([
      ['j0', 'pending', 1, 'flaky'],
      ['j1', 'pending', 1, 'flaky'],
    ]);
    // j0 again: its second failure exhausts max_retries = 1; j2 fails for the first time.
    await rpc.call(QueueMethods.Take, { project: root, queue: 'jobs', count: 1 });
    const second = await rpc.call(QueueMethods.Fail, { project: root, queue: 'jobs', ids: ['j2', 'j0'] });
    expect(second.items.map((i) => [i.id, i.status])).toEqual([
      ['j2', 'pending'],
      ['j0', 'dead'],
    ]);
  });
});

describe('oj queue take --count, oj queue complete/fail ID...', () => {
  it('takes a batch as JSON lines and completes it in one command; a bad id exits 1 naming it and changes nothing', async () => {
    const { rpc, root } = await setup(4);
    const taken = await t.oj(['queue', 'take', 'jobs', '--count', '3', '--by', 'script'], { cwd: root });
    expect(taken.exitCode).toBe(0);
    const lines = taken.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; n: number });
    expect(lines).toEqual([
      { id: 'j0', n: 0 },
      { id: 'j1', n: 1 },
      { id: 'j2', n: 2 },
    ]);

    const bad = await t.oj(['queue', 'complete', 'jobs', 'j0', 'j9', 'j1'], { cwd: root });
    expect(bad.exitCode).toBe(3);
    expect(bad.stderr).toMatch(/item not found: jobs\/j9/);
    expect(await statuses(rpc, root)).toMatchObject({ j0: 'taken', j1: 'taken', j2: 'taken' });

    const done = await t.oj(['queue', 'complete', 'jobs', 'j0', 'j1', 'j2'], { cwd: root });
    expect(done.exitCode).toBe(0);
    expect(done.stdout).toBe('jobs/j0: completed\njobs/j1: completed\njobs/j2: completed\n');
    const again = await t.oj(['queue', 'complete', 'jobs', 'j3', 'j2'], { cwd: root });
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/jobs\/j2: item jobs\/j2 is already completed/);
    expect(await statuses(rpc, root)).toMatchObject({ j3: 'pending' });

    // One id: as before (the item's record with --json).
    await t.oj(['queue', 'take', 'jobs'], { cwd: root });
    const one = await t.ojJson<{ id: string; status: string }>(['queue', 'fail', 'jobs', 'j3', '--error', 'nope'], { cwd: root });
    expect(one).toMatchObject({ id: 'j3', status: 'pending' });

    const tooMany = await t.oj(['queue', 'take', 'jobs', '--count', '101'], { cwd: root });
    expect(tooMany.exitCode).toBe(2);
    expect(tooMany.stderr).toMatch(/--count 101/);
  });
});
