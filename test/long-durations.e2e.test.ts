/**
 * Durations past what one Node timer holds (2^31-1 ms, 24.8 days) wait their
 * whole length instead of firing after 1 ms: phase and guard timeouts,
 * worker idle waits and RPC timeouts. Nothing here waits 24.8 days: each test
 * shows the long wait has not ended by the time something later has
 * happened in the daemon, then ends the wait the ordinary way.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { Rpc } from './helpers/rpc-call.js';
import { LockMethods, PipelineMethods, SemaphoreMethods, WorkerMethods } from '@oj/protocol';

type Pipeline = { id: string; status: string; phase: string | null; error: string | null; waitingFor: { kind: string; name: string } | null };
type Show = { pipeline: Pipeline; runs: { phase: string; status: string }[]; history: { id: number; name: string }[] };

/** 30 days: past the 2^31-1 ms (24.8 days) one Node timer holds. */
const LONG_MS = 3e9;

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

async function start(): Promise<Rpc> {
  await t.startDaemon();
  return connect();
}

async function connect(): Promise<Rpc> {
  const rpc = await Rpc.connect(t.socket);
  rpcs.push(rpc);
  return rpc;
}

const show = (rpc: Rpc, id: string) => rpc.call(PipelineMethods.Show, { id });

/** Records when a promise settles, to check it has not yet. */
function track<T>(p: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let settled = false;
  const promise = p.finally(() => (settled = true));
  return { settled: () => settled, promise };
}

/** Runs `quick` to its end: something the daemon does after the long wait began. */
async function runQuick(rpc: Rpc, root: string): Promise<Show> {
  const { pipeline } = await rpc.call(PipelineMethods.Create, { project: root, pipeline: 'quick' });
  await rpc.call(PipelineMethods.Wait, { ids: [pipeline.id], timeoutMs: 60_000 });
  const done = await show(rpc, pipeline.id);
  expect(done.pipeline.status).toBe('done');
  return done;
}

const QUICK = `
[pipeline.quick]

[[pipeline.quick.phase]]
name = "go"
run = "true"
`;

describe('durations longer than one Node timer holds', () => {
  it('a phase with timeout = "30d" keeps running, and pipelines.wait with timeoutMs 3e9 waits for its end', async () => {
    const rpc = await start();
    const root = makeProject(t, 'proj', {
      p: `
[pipeline.slow]

[[pipeline.slow.phase]]
name = "work"
timeout = "30d"
run = "touch {project_root}/started; while [ ! -f {project_root}/go ]; do sleep 0.05; done"
${QUICK}`,
    });
    const { pipeline } = await rpc.call(PipelineMethods.Create, { project: root, pipeline: 'slow' });
    await waitFor('the phase to run', async () => (await show(rpc, pipeline.id)).pipeline.status !== 'pending', 30_000);
    // Its own connection: the answer to this wait must come only when the pipeline ends.
    const waiter = await connect();
    const wait = track(waiter.call(PipelineMethods.Wait, { ids: [pipeline.id], timeoutMs: LONG_MS }));
    await waitFor(
      'the script to start (or the phase to end)',
      async () => existsSync(join(root, 'started')) || (await show(rpc, pipeline.id)).runs.some((r) => r.status !== 'running'),
      30_000,
    );

    // Two whole pipelines start and end while it runs; a later call on the waiter's own
    // connection is answered, so an early answer to the wait would have come before it.
    await runQuick(rpc, root);
    const later = await runQuick(rpc, root);
    await waiter.call(PipelineMethods.Show, { id: later.pipeline.id });
    const during = await show(rpc, pipeline.id);
    expect(during.pipeline.error).toBeNull();
    expect(during.pipeline.status).toBe('running');
    expect(during.runs.map((r) => `${r.phase}:${r.status}`)).toEqual(['work:running']);
    expect(wait.settled()).toBe(false);

    writeFileSync(join(root, 'go'), '');
    const result = await wait.promise;
    expect(result).toEqual({ results: [{ id: pipeline.id, status: 'done' }], timedOut: false });
    const after = await show(rpc, pipeline.id);
    expect(after.runs.map((r) => `${r.phase}:${r.status}`)).toEqual(['work:done']);
    // The quick pipelines ended before this one did.
    const ended = after.history.find((e) => e.name === `pipeline:${pipeline.id}:complete`);
    const laterEnded = later.history.find((e) => e.name === `pipeline:${later.pipeline.id}:complete`);
    expect(ended!.id).toBeGreaterThan(laterEnded!.id);
  });

  it('a guard with timeout = "30d" keeps re-checking instead of timing out at once', async () => {
    const rpc = await start();
    const root = makeProject(t, 'proj', {
      p: `
[pipeline.gated]

[[pipeline.gated.phase]]
name = "work"
pre = ["until_go"]
run = "true"

[guard.until_go]
condition = "echo check >> {project_root}/checks; test -f {project_root}/go"
retry = { max = 100000, interval = "100ms" }
timeout = "30d"
on_timeout = ["escalate"]
${QUICK}`,
    });
    const { pipeline } = await rpc.call(PipelineMethods.Create, { project: root, pipeline: 'gated' });
    const checks = () => (existsSync(join(root, 'checks')) ? readFileSync(join(root, 'checks'), 'utf8').split('\n').filter(Boolean).length : 0);
    const gaveUp = async () => (await show(rpc, pipeline.id)).history.some((e) => /timeout|escalat/.test(e.name));
    await waitFor('two guard checks (or the guard giving up)', async () => checks() >= 2 || (await gaveUp()), 30_000);
    await runQuick(rpc, root);
    await runQuick(rpc, root);
    const during = await show(rpc, pipeline.id);
    expect(during.pipeline.waitingFor?.kind).toBe('guard');
    expect(during.pipeline.status).toBe('waiting');
    expect(during.history.map((e) => e.name).filter((n) => /timeout|escalat/.test(n))).toEqual([]);

    writeFileSync(join(root, 'go'), '');
    await waitFor('the guard to pass', async () => (await show(rpc, pipeline.id)).pipeline.status === 'done', 30_000);
  });

  it('a worker with idle_action = "wait:30d" waits instead of pulling its source over and over', async () => {
    const rpc = await start();
    const root = makeProject(t, 'proj', {
      w: `
[worker.watcher]
queue = "inbox"
handler = "pipeline.quick"
idle_action = "wait:30d"

[queue.inbox]
source = "echo pull >> {project_root}/pulls; echo '[]'"
${QUICK}`,
    });
    const pulls = () => (existsSync(join(root, 'pulls')) ? readFileSync(join(root, 'pulls'), 'utf8').split('\n').filter(Boolean).length : 0);
    await rpc.call(WorkerMethods.Start, { project: root, name: 'watcher' });
    await waitFor('the worker to go idle', async () => {
      const { workers } = await rpc.call(WorkerMethods.List, { project: root });
      return workers.find((w) => w.name === 'watcher')?.idleSince;
    }, 30_000);
    const atIdle = pulls();
    expect(atIdle).toBeGreaterThanOrEqual(1);
    await runQuick(rpc, root);
    await runQuick(rpc, root);
    await runQuick(rpc, root);
    // An idle wait that fired at once would have pulled again and again meanwhile.
    expect(pulls()).toBe(atIdle);
  });

  it('locks.acquire and semaphores.acquire with timeoutMs 3e9 wait for the holder instead of giving up at once', async () => {
    const rpc = await start();
    const root = makeProject(t, 'proj', {
      c: `
[lock.main]
heartbeat = "1h"

[semaphore.slots]
max = 1
slot_heartbeat = "1h"
${QUICK}`,
    });
    expect(await rpc.call(LockMethods.Acquire, { project: root, name: 'main', holder: 'first' })).toMatchObject({ acquired: true });
    expect(await rpc.call(SemaphoreMethods.Acquire, { project: root, name: 'slots', holder: 'first' })).toMatchObject({ acquired: true });
    const lockWaiter = await connect();
    const semWaiter = await connect();
    const lock = track(lockWaiter.call(LockMethods.Acquire, { project: root, name: 'main', holder: 'second', wait: true, timeoutMs: LONG_MS }));
    const sem = track(semWaiter.call(SemaphoreMethods.Acquire, { project: root, name: 'slots', holder: 'second', wait: true, timeoutMs: LONG_MS }));
    await waitFor('both in line', async () => {
      const l = await rpc.call(LockMethods.Show, { project: root, name: 'main' });
      const s = await rpc.call(SemaphoreMethods.Status, { project: root, name: 'slots' });
      return (l.lock.waiters.length === 1 && s.semaphore.waiters.length === 1) || lock.settled() || sem.settled();
    }, 30_000);
    await runQuick(rpc, root);
    // Answered after the acquire on each connection: an early answer would have come first.
    await lockWaiter.call(LockMethods.Show, { project: root, name: 'main' });
    await semWaiter.call(SemaphoreMethods.Status, { project: root, name: 'slots' });
    expect(lock.settled()).toBe(false);
    expect(sem.settled()).toBe(false);

    await rpc.call(LockMethods.Release, { project: root, name: 'main', holder: 'first' });
    await rpc.call(SemaphoreMethods.Release, { project: root, name: 'slots', holder: 'first' });
    expect(await lock.promise).toMatchObject({ acquired: true });
    expect(await sem.promise).toMatchObject({ acquired: true });
  });
});
