/**
 * Cluster mode's leader leases end to end: two real ojd on one PostgreSQL.
 * One host at a time leads a project and only it sweeps (visibility
 * timeouts, hosts gone silent); kill -9 of the leader: the other takes the
 * lease once it lapses and sweeps what the dead one held.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventMethods, PipelineMethods, QueueMethods } from '@oj/protocol';
import { waitFor } from './helpers/ojd-harness.js';
import { clusterSuite, lines, type Host } from './helpers/cluster-kit.js';

const { kit, skip } = clusterSuite();

const RUNBOOK = `
[queue.jobs]
max_retries = 3
visibility_timeout = "2s"

[queue.slow]
visibility_timeout = "1h"

[queue.stuck]
max_retries = 0
visibility_timeout = "2s"

[worker.hang]
queue = "stuck"
handler = "pipeline.forever"
concurrency = 1
idle_action = "wait:1h"

[pipeline.forever]
inputs = ["job"]

[[pipeline.forever.phase]]
name = "work"
run = "echo \\"{job.id} $(cat {project_root}/host)\\" >> SHARED/stuck; exec sleep 600.5"

[worker.drain]
queue = "slow"
handler = "pipeline.handle"
concurrency = 3
idle_action = "wait:1h"

[pipeline.handle]
inputs = ["job"]

[[pipeline.handle.phase]]
name = "work"
run = "echo \\"{job.id} $(cat {project_root}/host)\\" >> SHARED/started; sleep {job.pause}; echo \\"{job.id} $(cat {project_root}/host)\\" >> SHARED/ran"
`;

async function events(h: Host, name: string) {
  return (await h.rpc.call(EventMethods.List, { name, limit: 1000 })).events;
}

describe.skipIf(skip)('cluster mode: the leader lease', () => {
  it('one host leads; only it times out items (whichever host took them); kill -9 of it: the other leads after the lease and sweeps what it held', async () => {
    // A short lease: this test kills a host.
    const [a, b] = await kit.two(RUNBOOK, { OJ_HOST_LEASE_MS: '3000' });
    // Both see the same leader (the first to heartbeat took the lease).
    const first = await waitFor('a leader', () => kit.leader(a), 30_000, 100);
    expect(await kit.leader(b)).toEqual(first);
    const [leader, follower] = first.host === 'host-a' ? [a, b] : [b, a];
    const status = await follower.t.oj(['daemon', 'status'], { cwd: follower.root });
    expect(status.stdout).toMatch(new RegExp(`leaders +acme-web: ${leader.name} \\(term ${first.term}, since `));
    expect(status.stdout).toMatch(new RegExp(`${leader.name} \\(leads acme-web\\)`));
    expect((await follower.t.oj(['status'], { cwd: follower.root })).stdout).toMatch(new RegExp(`cluster: host ${follower.name}, 2 host\\(s\\) up, leaders: acme-web ${leader.name}`));

    // An item the follower hands out (oj queue take there) and nobody completes: the leader times it out.
    expect((await follower.t.oj(['queue', 'add', 'jobs', 'id=t1'], { cwd: follower.root })).exitCode).toBe(0);
    expect((await follower.t.oj(['queue', 'take', 'jobs'], { cwd: follower.root })).exitCode).toBe(0);
    const timedOut = await waitFor('the leader to time it out', async () => (await events(leader, 'queue:item:failed')).find((e) => e.data.queue === 'jobs' && e.data.id === 't1'), 60_000, 100);
    expect(timedOut.data).toMatchObject({ timedOut: true, willRetry: true });
    // The follower swept nothing (its own event log has no timeout).
    expect(await events(follower, 'queue:item:failed')).toEqual([]);

    // The leader works items, and dies holding some.
    const items = Array.from({ length: 12 }, (_, i) => ({ id: `k${i + 1}`, pause: 0.3 }));
    expect((await leader.t.oj(['queue', 'add', 'slow', JSON.stringify(items)], { cwd: leader.root })).exitCode).toBe(0);
    expect((await leader.t.oj(['worker', 'start', 'drain'], { cwd: leader.root })).exitCode).toBe(0);
    await waitFor('the leader holding items', () => {
      const done = new Set(lines(join(kit.shared, 'ran')));
      return lines(join(kit.shared, 'started')).some((l) => l.endsWith(leader.name) && !done.has(l));
    }, 60_000, 10);
    leader.daemon.kill('SIGKILL');
    // The follower takes the lease once it lapsed (the next term), and records it.
    const next = await waitFor('the follower to lead', async () => {
      const l = await kit.leader(follower);
      return l?.host === follower.name ? l : null;
    }, 60_000, 100);
    expect(next.term).toBeGreaterThan(first.term);
    const took = (await events(follower, 'cluster:leader')).find((e) => e.data.term === next.term);
    expect(took?.data).toMatchObject({ host: follower.name, previous: leader.name, project: 'acme-web' });
    // ...and sweeps: what the dead leader held goes back to the queue, and the follower's worker drains it.
    expect((await follower.t.oj(['worker', 'start', 'drain'], { cwd: follower.root })).exitCode).toBe(0);
    await waitFor('every item completed', async () => {
      const { queues } = await follower.rpc.call(QueueMethods.Queues, { project: follower.root });
      return queues.find((q) => q.name === 'slow')!.counts.completed === 12;
    }, 240_000, 200);
    const lost = (await events(follower, 'queue:item:failed')).filter((e) => String(e.data.error).includes(`host ${leader.name} stopped heartbeating`));
    expect(lost.length).toBeGreaterThan(0);
    expect(new Set(lines(join(kit.shared, 'ran')).map((l) => l.split(' ')[0]))).toEqual(new Set(items.map((i) => i.id)));
  }, 360_000);

  it("an item a host's pipeline works, timed out by the project's leader on another host: that host cancels its pipeline", async () => {
    const [a, b] = await kit.two(RUNBOOK);
    const first = await waitFor('a leader', () => kit.leader(a), 30_000, 100);
    const [leader, follower] = first.host === 'host-a' ? [a, b] : [b, a];
    // Only the follower's checkout has the worker (the leader's runbook does not define it): the follower's pipeline takes the item.
    const file = join(leader.root, '.oj', 'runbooks', 'work.toml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\[worker\.hang\][^[]*/, ''));
    expect((await leader.t.oj(['worker', 'list'], { cwd: leader.root })).stdout).not.toMatch(/hang/);
    const started = await follower.t.oj(['worker', 'start', 'hang'], { cwd: follower.root });
    expect(started.exitCode, started.stderr).toBe(0);
    expect((await follower.t.oj(['queue', 'add', 'stuck', 'id=s1'], { cwd: follower.root })).exitCode).toBe(0);
    await waitFor('the follower to take it', () => lines(join(kit.shared, 'stuck'))[0] === `s1 ${follower.name}`, 60_000, 50);
    const [holder, other] = [follower, leader];
    // Past its visibility timeout the leader times it out (max_retries 0: dead), and the holding host cancels the pipeline working it.
    const cancelled = await waitFor('the pipeline working it to be cancelled', async () => {
      const { pipelines } = await holder.rpc.call(PipelineMethods.List, { project: holder.root });
      return pipelines.find((p) => p.status === 'cancelled');
    }, 60_000, 100);
    expect(cancelled.error).toMatch(/visibility timeout \(2s\)/);
    const dead = await waitFor('the item dead', async () => (await leader.rpc.call(QueueMethods.List, { project: leader.root, queue: 'stuck' })).items.find((i) => i.status === 'dead'), 60_000, 100);
    expect(dead.error).toMatch(/visibility timeout \(2s\) passed/);
    // The follower swept nothing (the leader did); the leader's pipelines were never touched.
    expect(await events(follower, 'queue:item:dead')).toEqual([]);
    expect((await events(leader, 'queue:item:dead')).map((e) => e.data.id)).toEqual(['s1']);
    expect((await other.rpc.call(PipelineMethods.List, { project: other.root })).pipelines.filter((p) => p.status === 'cancelled')).toEqual([]);
  }, 360_000);
});
