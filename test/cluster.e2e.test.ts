/**
 * Cluster mode end to end: two or three real ojd on one machine (their own
 * state dirs, sockets and OJ_HOST_ID) serving one project, checked out at a
 * path of each one's own with the same `[project] name`, sharing one real
 * PostgreSQL (test/helpers/cluster-kit.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CronMethods, DaemonMethods, ErrorCode, EventMethods, QueueMethods, WorkerMethods, type OjError } from '@oj/protocol';
import { clusterSuite, type Host } from './helpers/cluster-kit.js';
import { waitFor } from './helpers/ojd-harness.js';

const { kit, skip } = clusterSuite();

const DRAIN = `
[queue.jobs]
max_retries = 3

[worker.drain]
queue = "jobs"
handler = "pipeline.handle"
concurrency = 3
idle_action = "wait:1h"

[pipeline.handle]
inputs = ["job"]

[[pipeline.handle.phase]]
name = "work"
run = "echo \\"{job.id} $(cat {project_root}/host)\\" >> SHARED/started; sleep {job.pause}; echo \\"{job.id} $(cat {project_root}/host)\\" >> SHARED/ran"
`;

describe.skipIf(skip)('cluster mode: several daemons on one PostgreSQL', () => {
  it('three daemons drain 500 items added with oj queue add on one of them through a worker started on all three: each handler run once, each host doing a share', async () => {
    const hosts = await kit.cluster(DRAIN, ['host-a', 'host-b', 'host-c']);
    const [a, b, c] = hosts as [Host, Host, Host];
    const items = Array.from({ length: 500 }, (_, i) => JSON.stringify({ id: `j${i + 1}`, pause: 0 }));
    const add = await a.t.oj(['queue', 'add', 'jobs', '--stdin'], { cwd: a.root, input: items.join('\n') + '\n', timeout: 120_000 });
    expect(add.exitCode, add.stderr).toBe(0);
    // Every host sees the same queue, whatever path its checkout is at.
    for (const h of [b, c]) expect((await h.rpc.call(QueueMethods.Queues, { project: h.root })).queues[0]!.counts.pending).toBe(500);
    for (const h of hosts) expect((await h.t.oj(['worker', 'start', 'drain'], { cwd: h.root })).exitCode).toBe(0);
    await waitFor('500 handlers run', () => kit.lines('ran').length >= 500, 300_000, 200);
    await waitFor('500 items completed', async () => {
      const { queues } = await a.rpc.call(QueueMethods.Queues, { project: a.root });
      return queues[0]!.counts.completed === 500;
    }, 60_000, 200);
    // Counted from the handlers' own lines: each item's handler ran once, on one host.
    const ran = kit.lines('ran');
    expect(ran).toHaveLength(500);
    expect(new Set(ran.map((l) => l.split(' ')[0])).size).toBe(500);
    expect(kit.lines('started')).toHaveLength(500);
    const byHost = new Map<string, number>();
    for (const l of ran) byHost.set(l.split(' ')[1]!, (byHost.get(l.split(' ')[1]!) ?? 0) + 1);
    expect([...byHost.keys()].sort()).toEqual(['host-a', 'host-b', 'host-c']);
    // oj daemon status shows the cluster.
    const status = await b.rpc.call(DaemonMethods.Status, {});
    expect(status.cluster).toMatchObject({ hostId: 'host-b', reachable: true });
    expect(status.cluster!.hosts.map((h) => h.host)).toEqual(['host-a', 'host-b', 'host-c']);
  }, 480_000);

  it('kill -9 of one host mid-drain loses nothing: its items are run again by the other after its lease', async () => {
    const [a, b] = await kit.two(DRAIN, { OJ_HOST_LEASE_MS: '3000' });
    const items = Array.from({ length: 40 }, (_, i) => ({ id: `k${i + 1}`, pause: 0.2 }));
    expect((await a.t.oj(['queue', 'add', 'jobs', JSON.stringify(items)], { cwd: a.root })).exitCode).toBe(0);
    for (const h of [a, b]) expect((await h.t.oj(['worker', 'start', 'drain'], { cwd: h.root })).exitCode).toBe(0);
    // Killed while it holds items: a handler of host-a has started and not finished.
    await waitFor('host-a holding items', () => {
      const done = new Set(kit.lines('ran'));
      return kit.lines('started').some((l) => l.endsWith('host-a') && !done.has(l));
    }, 60_000, 10);
    a.daemon.kill('SIGKILL');
    await waitFor('every item completed', async () => {
      const { queues } = await b.rpc.call(QueueMethods.Queues, { project: b.root });
      return queues[0]!.counts.completed === 40;
    }, 240_000, 200);
    const ran = kit.lines('ran').map((l) => l.split(' ')[0]!);
    expect(new Set(ran).size).toBe(40);
    // At most what host-a had in flight (its concurrency) ran twice.
    expect(ran.length - 40).toBeLessThanOrEqual(3);
    const { events } = await b.rpc.call(EventMethods.List, { name: 'queue:item:failed', limit: 100 });
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(String(e.data.error)).toMatch(/host host-a stopped heartbeating/);
  }, 360_000);

  it('items a host took are rescued by the project\'s leader when that host dies (a take sends no notice); oj queue show names the host holding an item', async () => {
    // host-a's handlers outlast the test's look at them (30 s; they end on their own after it is killed), host-b's are quick.
    const slowOnA = DRAIN.replace('sleep {job.pause}', 'if [ \\"$(cat {project_root}/host)\\" = host-a ]; then sleep 30; fi');
    expect(slowOnA).not.toBe(DRAIN);
    const [a, b] = await kit.two(slowOnA, { OJ_HOST_LEASE_MS: '3000' });
    const ids = Array.from({ length: 6 }, (_, i) => `r${i + 1}`);
    expect((await b.t.oj(['queue', 'add', 'jobs', JSON.stringify(ids.map((id) => ({ id })))], { cwd: b.root })).exitCode).toBe(0);
    // Started on host-a, so host-a takes first (host-b follows the cluster-wide start when told).
    expect((await a.t.oj(['worker', 'start', 'drain'], { cwd: a.root })).exitCode).toBe(0);
    const heldByA = await waitFor('host-b done with its share, host-a holding the rest', async () => {
      const { items } = await b.rpc.call(QueueMethods.List, { project: b.root, queue: 'jobs' });
      if (items.some((i) => i.status === 'pending')) return null;
      const held = items.filter((i) => i.status === 'taken');
      return held.length > 0 && held.every((i) => i.host === 'host-a') ? held.map((i) => i.id) : null;
    }, 60_000, 50);
    const x = heldByA[0]!;
    // oj queue show on host-b says which host holds the item.
    const held = await b.t.oj(['queue', 'show', 'jobs', x], { cwd: b.root });
    expect(held.stdout).toMatch(new RegExp(`held by\\s+handle-${x} \\(worker drain\\) on host host-a`));
    expect((await b.rpc.call(QueueMethods.Show, { project: b.root, queue: 'jobs', id: x })).attempts.map((t) => t.host)).toEqual(['host-a']);
    // oj daemon status on host-b shows each host's running work: host-a holds what it took, host-b nothing.
    const status = await b.rpc.call(DaemonMethods.Status, {});
    expect(status.cluster!.hosts.map((h) => [h.host, h.items])).toEqual([['host-a', heldByA.length], ['host-b', 0]]);
    expect((await b.t.oj(['daemon', 'status'], { cwd: b.root })).stdout).toMatch(new RegExp(`host-a .*holds ${heldByA.length} item\\(s\\), 0 lock/semaphore hold\\(s\\)`));
    a.daemon.kill('SIGKILL');
    await waitFor('every item completed', async () => {
      const { queues } = await b.rpc.call(QueueMethods.Queues, { project: b.root });
      return queues[0]!.counts.completed === 6;
    }, 120_000, 200);
    // Each item's handler finished once on host-b: its own share and what host-a held.
    const byB = kit.lines('ran').filter((l) => l.endsWith('host-b')).map((l) => l.split(' ')[0]);
    expect(byB.sort()).toEqual([...ids].sort());
    // The second attempt was host-b's, and a completed item is held by no host.
    const after = await b.rpc.call(QueueMethods.Show, { project: b.root, queue: 'jobs', id: x });
    expect(after.attempts.map((t) => t.host)).toEqual(['host-a', 'host-b']);
    expect(after.item.host).toBeNull();
  }, 360_000);

  it('PostgreSQL stopped for 5 s mid-drain and started again: the drain finishes, nothing lost', async () => {
    const [a, b] = await kit.two(DRAIN);
    const items = Array.from({ length: 60 }, (_, i) => ({ id: `p${i + 1}`, pause: 0.5 }));
    expect((await a.t.oj(['queue', 'add', 'jobs', JSON.stringify(items)], { cwd: a.root })).exitCode).toBe(0);
    for (const h of [a, b]) expect((await h.t.oj(['worker', 'start', 'drain'], { cwd: h.root })).exitCode).toBe(0);
    await waitFor('the drain under way', () => kit.lines('ran').length >= 5, 60_000, 20);
    // Items held by pipelines (their takes committed) just before the database goes away.
    const ranIds = () => new Set(kit.lines('ran').map((l) => l.split(' ')[0]!));
    const taken = (await a.rpc.call(QueueMethods.List, { project: a.root, queue: 'jobs', status: ['taken'] })).items.map((i) => i.id);
    kit.server!.stopServer();
    const down = Date.now();
    const held = taken.filter((id) => !ranIds().has(id));
    // Meanwhile shared work is refused with a clear error (the CLI's message and hint; the JSON-RPC code and data)...
    const refused = await a.t.oj(['queue', 'add', 'jobs', 'id=late'], { cwd: a.root });
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/^error: the cluster database \(postgresql:\/\/postgres@\/e2e_\S+\) cannot be reached: .+; shared work \(queues, workers, crons, locks\) is refused until it is back\nhint: the daemon reconnects by itself \(running phases go on\); check that PostgreSQL is up \(oj daemon status\)\n$/);
    const stop = await b.t.oj(['worker', 'stop', 'drain'], { cwd: b.root });
    expect(stop.exitCode).not.toBe(0);
    expect(stop.stderr).toMatch(/cluster database .* cannot be reached/);
    const err = await a.rpc.call(QueueMethods.Add, { project: a.root, queue: 'jobs', items: [{ id: 'late' }] }).then(() => null, (e: unknown) => e as OjError);
    expect(err?.code).toBe(ErrorCode.Unavailable);
    expect(err?.data).toMatchObject({ kind: 'cluster_unavailable', durable: true, database: expect.stringMatching(/^postgresql:\/\/postgres@\/e2e_/) as unknown });
    expect((await a.t.oj(['daemon', 'status'], { cwd: a.root })).stdout).toMatch(/unreachable: shared work is refused until it is back/);
    // ...and the phases under way go on: those running when it went away finish while it is away.
    await waitFor('the phases under way to finish', () => held.every((id) => ranIds().has(id)), 60_000, 50);
    await waitFor('5 s down', () => Date.now() - down >= 5000, 10_000, 100);
    kit.server!.startServer();
    await waitFor('every item completed', async () => {
      try {
        const { queues } = await b.rpc.call(QueueMethods.Queues, { project: b.root });
        return queues[0]!.counts.completed === 60;
      } catch {
        return false;
      }
    }, 240_000, 250);
    const ran = kit.lines('ran').map((l) => l.split(' ')[0]!);
    expect(new Set(ran).size).toBe(60);
    // The refused stop changed nothing: the worker is still started on both.
    for (const h of [a, b]) expect((await h.rpc.call(WorkerMethods.Show, { project: h.root, name: 'drain' })).worker.status).toBe('started');
  }, 360_000);

  it('a lock shared by pipelines on both hosts never has two holders; oj lock show says which host holds it and who waits', async () => {
    const [a, b] = await kit.two(`
[command.merge]
args = "<name>"
run = { pipeline = "merge" }

[pipeline.merge]
inputs = ["name"]

[[pipeline.merge.phase]]
name = "merge"
lock = "main_branch"
run = "echo \\"start {name}\\" >> SHARED/trace; while [ ! -f SHARED/go ]; do sleep 0.02; done; sleep 0.2; echo \\"end {name}\\" >> SHARED/trace"

[lock.main_branch]
heartbeat = "2s"
`);
    // a0 takes the lock on host-a and holds it until SHARED/go exists.
    expect((await a.t.oj(['run', 'merge', 'a0'], { cwd: a.root })).exitCode).toBe(0);
    await waitFor('a0 holding the lock', () => kit.lines('trace').includes('start a0'), 60_000, 50);
    const names = ['a0'];
    for (let i = 1; i < 4; i++) {
      for (const h of [b, a]) {
        const name = `${h === a ? 'a' : 'b'}${i}`;
        names.push(name);
        expect((await h.t.oj(['run', 'merge', name], { cwd: h.root })).exitCode).toBe(0);
      }
    }
    // On the other host, oj lock show says who holds it, on which host, and who waits (from both hosts).
    const held = await b.t.ojJson<{ holder: { holder: string; host: string | null } | null; waiters: unknown[] }>(['lock', 'show', 'main_branch'], { cwd: b.root });
    expect(held.holder?.host).toBe('host-a');
    const line = await waitFor('six in line', async () => {
      const l = await b.t.ojJson<{ waiters: { holder: string }[] }>(['lock', 'show', 'main_branch'], { cwd: b.root });
      return l.waiters.length === 6 ? l.waiters.map((w) => w.holder) : null;
    }, 60_000, 100);
    expect(kit.lines('trace')).toEqual(['start a0']);
    writeFileSync(join(kit.shared, 'go'), '');
    await waitFor('every merge done', () => kit.lines('trace').filter((l) => l.startsWith('end')).length === names.length, 120_000, 100);
    const trace = kit.lines('trace');
    // Strictly one at a time: every start is followed by its own end before the next start.
    for (let i = 0; i < trace.length; i += 2) {
      expect(trace[i]).toMatch(/^start /);
      expect(trace[i + 1]).toBe(trace[i]!.replace('start', 'end'));
    }
    expect(new Set(trace.filter((l) => l.startsWith('start')).map((l) => l.slice(6)))).toEqual(new Set(names));
    // Served in arrival order, whichever host each waited on.
    expect(trace.filter((l) => l.startsWith('start')).slice(1).map((l) => `merge-${l.slice(6)}`)).toEqual(line);
    const after = await b.t.ojJson<{ held: boolean }>(['lock', 'show', 'main_branch'], { cwd: b.root });
    expect(after.held).toBe(false);
  }, 360_000);

  it('a 1 s cron enabled on both hosts fires once per slot', async () => {
    const [a, b] = await kit.two(`
[cron.tick]
interval = "1s"
run = "echo \\"$(cat {project_root}/host)\\" >> SHARED/ticks"
`);
    for (const h of [a, b]) expect((await h.t.oj(['cron', 'enable', 'tick'], { cwd: h.root })).exitCode).toBe(0);
    await waitFor('6 ticks', () => kit.lines('ticks').length >= 6, 60_000, 100);
    for (const h of [a, b]) await h.t.oj(['cron', 'disable', 'tick'], { cwd: h.root });
    const slots: string[] = [];
    for (const h of [a, b]) {
      const { events } = await h.rpc.call(EventMethods.List, { name: 'cron:tick', project: h.root, limit: 1000 });
      slots.push(...events.map((e) => String(e.data.scheduledAt)));
    }
    expect(slots.length).toBeGreaterThanOrEqual(6);
    expect(new Set(slots).size).toBe(slots.length);
    expect(kit.lines('ticks')).toHaveLength(slots.length);
    // Both enabled it; each shows it enabled with its runs counted.
    const list = await b.rpc.call(CronMethods.List, { project: b.root });
    expect(list.crons[0]!.name).toBe('tick');
  }, 360_000);

  it('a calendar cron with a jitter, enabled on both checkouts (different paths), has the same slots on both and fires once per slot', async () => {
    const [a, b] = await kit.two(`
[cron.tick]
schedule = "*/2 * * * * *"
jitter = "999ms"
run = "echo \\"$(cat {project_root}/host)\\" >> SHARED/ticks"
`);
    // The jitter's offset comes from the project's cluster identity, not its path: both hosts plan the same times.
    const next = await Promise.all([a, b].map((h) => h.rpc.call(CronMethods.Next, { project: h.root, name: 'tick', count: 3 })));
    expect(next[0]!.jitter).toEqual(next[1]!.jitter);
    for (const n of next) expect(new Set(n.times.map((t) => Date.parse(t) % 2000))).toEqual(new Set([n.jitter!.offsetMs]));
    for (const h of [a, b]) expect((await h.t.oj(['cron', 'enable', 'tick'], { cwd: h.root })).exitCode).toBe(0);
    await waitFor('4 ticks', () => kit.lines('ticks').length >= 4, 60_000, 100);
    for (const h of [a, b]) await h.t.oj(['cron', 'disable', 'tick'], { cwd: h.root });
    const slots: string[] = [];
    for (const h of [a, b]) {
      const { events } = await h.rpc.call(EventMethods.List, { name: 'cron:tick', project: h.root, limit: 1000 });
      slots.push(...events.map((e) => String(e.data.scheduledAt)));
    }
    expect(new Set(slots.map((s) => Date.parse(s) % 2000))).toEqual(new Set([next[0]!.jitter!.offsetMs]));
    expect(new Set(slots).size).toBe(slots.length);
    expect(kit.lines('ticks')).toHaveLength(slots.length);
  }, 360_000);
});
