/**
 * Cross-store effects through the outbox, end to end with real ojd on one
 * PostgreSQL (test/helpers/cluster-kit.ts): a phase's lock release and an
 * item's completion are committed locally with the pipeline's transition and
 * applied to PostgreSQL after. A daemon killed between the two (OJ_FAULT
 * outbox:before-apply), or after applying and before forgetting the entry
 * (outbox:after-apply), applies it when it starts again: exactly once.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventMethods, LockMethods, QueueMethods } from '@oj/protocol';
import { clusterSuite, type Host } from './helpers/cluster-kit.js';
import { waitFor } from './helpers/ojd-harness.js';

const { kit, skip } = clusterSuite();

// Long leases and heartbeat windows: while host-a is down, nothing but its outbox may let go of what it holds.
const CALM = { OJ_HOST_LEASE_MS: '600000' };

const RUNBOOK = `
[command.merge]
args = "<name>"
run = { pipeline = "merge" }

[pipeline.merge]
inputs = ["name"]

[[pipeline.merge.phase]]
name = "merge"
lock = "main_branch"
run = "echo \\"start {name} $(cat {project_root}/host)\\" >> SHARED/trace; while [ ! -f SHARED/go-{name} ]; do sleep 0.02; done; echo \\"end {name}\\" >> SHARED/trace"

[lock.main_branch]
heartbeat = "10m"

[command.twice]
args = "<name>"
run = { pipeline = "twice" }

[pipeline.twice]
inputs = ["name"]

[[pipeline.twice.phase]]
name = "one"
lock = "main_branch"
run = "echo \\"start {name} one\\" >> SHARED/trace; while [ ! -f SHARED/go-{name} ]; do sleep 0.02; done; echo \\"end {name} one\\" >> SHARED/trace"

[[pipeline.twice.phase]]
name = "two"
lock = "main_branch"
run = "echo \\"{name} two\\" >> SHARED/trace"

[queue.jobs]

[worker.drain]
queue = "jobs"
handler = "pipeline.handle"
idle_action = "wait:1h"

[pipeline.handle]
inputs = ["job"]

[[pipeline.handle.phase]]
name = "work"
run = "while [ ! -f SHARED/go-{job.id} ]; do sleep 0.02; done; echo \\"{job.id} $(cat {project_root}/host)\\" >> SHARED/ran"
`;

async function lockShow(h: Host): Promise<{ holder: { holder: string; host: string | null } | null; waiters: { holder: string }[] }> {
  return h.t.ojJson(['lock', 'show', 'main_branch'], { cwd: h.root });
}

describe.skipIf(skip)('cluster mode: releases through the outbox', () => {
  it('a pipeline\'s next phase on the same lock asks once its earlier phase\'s release is applied: a waiter on another host goes first, as on one host', async () => {
    const [a, b] = await kit.two(RUNBOOK, CALM);
    expect((await a.t.oj(['run', 'twice', 't1'], { cwd: a.root })).exitCode).toBe(0);
    await waitFor('t1 holding the lock', () => kit.lines('trace').includes('start t1 one'), 60_000, 50);
    expect((await b.t.oj(['run', 'merge', 'b1'], { cwd: b.root })).exitCode).toBe(0);
    await waitFor('b1 in line', async () => (await lockShow(b)).waiters.length === 1, 60_000, 100);
    writeFileSync(join(kit.shared, 'go-t1'), '');
    await waitFor('b1 running', () => kit.lines('trace').includes('start b1 host-b'), 60_000, 50);
    // t1's second phase waits in line behind b1.
    await waitFor('t1 in line', async () => (await lockShow(b)).waiters.map((w) => w.holder).includes('twice-t1'), 60_000, 100);
    writeFileSync(join(kit.shared, 'go-b1'), '');
    await waitFor('t1 done', () => kit.lines('trace').includes('t1 two'), 60_000, 50);
    expect(kit.lines('trace')).toEqual(['start t1 one', 'end t1 one', 'start b1 host-b', 'end b1', 't1 two']);
  }, 300_000);
});

describe.skipIf(skip)('cluster mode: the outbox after a crash', () => {
  for (const fault of ['outbox:before-apply', 'outbox:after-apply']) {
    it(`a phase's lock release: host-a killed at ${fault} applies it when it starts again, exactly once`, async () => {
      const [a, b] = await kit.two(RUNBOOK, (host) => (host === 'host-a' ? { ...CALM, OJ_FAULT: fault } : CALM));
      expect((await a.t.oj(['run', 'merge', 'a0'], { cwd: a.root })).exitCode).toBe(0);
      await waitFor('a0 holding the lock', () => kit.lines('trace').includes('start a0 host-a'), 60_000, 50);
      expect((await b.t.oj(['run', 'merge', 'b1'], { cwd: b.root })).exitCode).toBe(0);
      await waitFor('b1 in line', async () => (await lockShow(b)).waiters.length === 1, 60_000, 100);
      // a0's phase ends: its outcome and its release commit on host-a, which dies at the fault point.
      writeFileSync(join(kit.shared, 'go-a0'), '');
      await kit.exited(a);
      if (fault === 'outbox:before-apply') {
        // Not applied: the lock is still a0's on host-a, and b1 still waits.
        expect(kit.lines('trace').filter((l) => l.startsWith('start'))).toEqual(['start a0 host-a']);
        const shown = await lockShow(b);
        expect(shown.holder).toMatchObject({ host: 'host-a' });
        expect(shown.waiters.map((w) => w.holder)).toEqual(['merge-b1']);
      }
      await kit.restart(a, { OJ_FAULT: undefined });
      await waitFor('b1 running', () => kit.lines('trace').includes('start b1 host-b'), 60_000, 50);
      writeFileSync(join(kit.shared, 'go-b1'), '');
      await waitFor('b1 done', () => kit.lines('trace').includes('end b1'), 60_000, 50);
      // a0 ran once and let go once, by its phase's end (not by the restart's reconcile), and b1 got it once.
      expect(kit.lines('trace')).toEqual(['start a0 host-a', 'end a0', 'start b1 host-b', 'end b1']);
      // Counted across both hosts' events (a grant from the line is recorded by the host that released).
      const all = async (name: string) => waitFor(`${name} shared`, async () => {
        const { events } = await b.rpc.call(EventMethods.Cluster, { name, limit: 100 });
        return events.length >= 2 ? events : null;
      }, 60_000, 100);
      const released = await all('lock:released');
      expect(released.map((e) => [e.host, e.subject, e.data.reason])).toEqual([['host-a', 'merge-a0', 'phase ended'], ['host-b', 'merge-b1', 'phase ended']]);
      const acquired = await all('lock:acquired');
      expect(acquired.map((e) => e.subject)).toEqual(['merge-a0', 'merge-b1']);
      await waitFor('the lock free', async () => (await b.rpc.call(LockMethods.Show, { project: b.root, name: 'main_branch' })).lock.held === false, 60_000, 100);
    }, 300_000);

    it(`an item's completion: host-a killed at ${fault} completes it when it starts again, exactly once, its handler not run again`, async () => {
      // A worker starts cluster-wide: host-b's runbook does not define it, so only host-a takes j1.
      const worker = '[worker.drain]\nqueue = "jobs"\nhandler = "pipeline.handle"\nidle_action = "wait:1h"\n';
      expect(RUNBOOK).toContain(worker);
      const runbook = (host: string) => (host === 'host-a' ? RUNBOOK : RUNBOOK.replace(worker, ''));
      const [a, b] = await kit.two(runbook, (host) => (host === 'host-a' ? { ...CALM, OJ_FAULT: fault } : CALM));
      expect((await a.t.oj(['queue', 'add', 'jobs', 'id=j1'], { cwd: a.root })).exitCode).toBe(0);
      expect((await a.t.oj(['worker', 'start', 'drain'], { cwd: a.root })).exitCode).toBe(0);
      const item = async () => (await b.rpc.call(QueueMethods.Show, { project: b.root, queue: 'jobs', id: 'j1' })).item;
      await waitFor('j1 taken by host-a', async () => (await item()).status === 'taken', 60_000, 100);
      // The handler's pipeline ends: its end and the item's settlement commit on host-a, which dies at the fault point.
      writeFileSync(join(kit.shared, 'go-j1'), '');
      await kit.exited(a);
      expect(kit.lines('ran')).toEqual(['j1 host-a']);
      expect((await item()).status).toBe(fault === 'outbox:before-apply' ? 'taken' : 'completed');
      await kit.restart(a, { OJ_FAULT: undefined });
      await waitFor('j1 completed', async () => (await item()).status === 'completed', 60_000, 100);
      const shown = await b.rpc.call(QueueMethods.Show, { project: b.root, queue: 'jobs', id: 'j1' });
      expect(shown.attempts.map((x) => x.outcome)).toEqual(['completed']);
      const completed = (await a.rpc.call(EventMethods.List, { name: 'queue:item:completed', limit: 100 })).events;
      expect(completed).toHaveLength(1);
      // The worker started again with the daemon: it finds nothing to do, and the handler never ran again.
      await waitFor('the worker idle again', async () => (await a.rpc.call(EventMethods.List, { name: 'worker:idle', limit: 100 })).events.length >= 1, 60_000, 100);
      expect(kit.lines('ran')).toEqual(['j1 host-a']);
    }, 300_000);
  }
});
