/**
 * Cluster mode's leader leases end to end: two real ojd on one PostgreSQL.
 * One host at a time leads a project and only it sweeps (visibility
 * timeouts, hosts gone silent); kill -9 of the leader: the other takes the
 * lease once it lapses and sweeps what the dead one held.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventMethods, QueueMethods } from '@oj/protocol';
import { waitFor } from './helpers/ojd-harness.js';
import { ClusterKit, lines, type Host } from './helpers/cluster-kit.js';
import { PgServer, skipWithoutPg } from './pg/pg-server.js';

const skip = skipWithoutPg();
let server: PgServer | null = null;
const kit = new ClusterKit(() => server!);

beforeAll(() => {
  if (!skip) server = PgServer.start();
});
afterAll(() => server?.stop());
afterEach(() => kit.cleanup());

const RUNBOOK = `
[queue.jobs]
max_retries = 3
visibility_timeout = "2s"

[queue.slow]
visibility_timeout = "1h"

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
    const [a, b] = await kit.start(['host-a', 'host-b'], RUNBOOK, { OJ_HOST_LEASE_MS: '3000' });
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
});
