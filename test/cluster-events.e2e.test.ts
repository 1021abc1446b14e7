/**
 * Events across the hosts of a cluster, end to end: two real ojd on one
 * PostgreSQL (test/helpers/cluster-kit.ts). An `oj emit` on one host wakes
 * guards and workers on the other; a guard waiting for another host's
 * pipeline is released by that pipeline's event; `oj events --cluster`
 * shows both hosts' events in order.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventMethods, PipelineMethods, type ClusterEventRecord, type PipelineInfo } from '@oj/protocol';
import { clusterSuite, type Host } from './helpers/cluster-kit.js';
import { TestEnv, waitFor } from './helpers/ojd-harness.js';

const { kit, skip } = clusterSuite();

// Guards check again only when woken (retry.max is 0): nothing polls them.
const RUNBOOK = `
[command.gate]
args = "<name>"
run = { pipeline = "gate" }

[pipeline.gate]
inputs = ["name"]

[[pipeline.gate.phase]]
name = "wait"
pre = ["flag"]
run = "echo \\"{name} $(cat {project_root}/host)\\" >> SHARED/gates"

[guard.flag]
condition = "test -f SHARED/flag-{name}"
wake_on = ["go:{name}"]

[queue.todo]
source = "cat SHARED/todo.json 2>/dev/null || echo '[]'"

[worker.pick]
queue = "todo"
handler = "pipeline.pick"
idle_action = "wait:1h"
wake_on = ["todo:ready"]

[pipeline.pick]
inputs = ["item"]

[[pipeline.pick.phase]]
name = "work"
run = "echo \\"{item.id} $(cat {project_root}/host)\\" >> SHARED/picked"

[command.upstream]
args = "<name>"
run = { pipeline = "upstream" }

[pipeline.upstream]
inputs = ["name"]

[[pipeline.upstream.phase]]
name = "work"
run = "while [ ! -f SHARED/go-{name} ]; do sleep 0.02; done; touch SHARED/done-{pipeline}"

[command.downstream]
args = "<name> <after>"
run = { pipeline = "downstream" }

[pipeline.downstream]
inputs = ["name", "after"]

[[pipeline.downstream.phase]]
name = "blocked"
pre = ["upstream_done"]

[[pipeline.downstream.phase]]
name = "work"
run = "echo \\"{name} $(cat {project_root}/host)\\" >> SHARED/released"

[guard.upstream_done]
condition = "test -f SHARED/done-{after}"
wake_on = ["pipeline:{after}:complete"]
`;

async function only(h: Host, name: string): Promise<PipelineInfo> {
  const { pipelines } = await h.rpc.call(PipelineMethods.List, { project: h.root });
  const p = pipelines.find((x) => x.kind === name);
  if (!p) throw new Error(`no ${name} pipeline on ${h.name}`);
  return p;
}

async function waitingForGuard(h: Host, pipeline: string, guard: string): Promise<void> {
  await waitFor(`${pipeline} on ${h.name} waiting for guard ${guard}`, async () => {
    const p = await only(h, pipeline);
    return p.status === 'waiting' && p.waitingFor?.kind === 'guard' && p.waitingFor.name === guard;
  }, 60_000, 100);
}

async function clusterEvents(h: Host, name: string): Promise<ClusterEventRecord[]> {
  return (await h.rpc.call(EventMethods.Cluster, { name, limit: 1000 })).events;
}

describe.skipIf(skip)('cluster mode: events reach every host', () => {
  it('oj emit on host-a wakes a guard and a worker on host-b', async () => {
    // A worker starts cluster-wide: host-a's runbook does not define it, so only host-b's can pick the item.
    const worker = '[worker.pick]\nqueue = "todo"\nhandler = "pipeline.pick"\nidle_action = "wait:1h"\nwake_on = ["todo:ready"]\n';
    expect(RUNBOOK).toContain(worker);
    const [a, b] = await kit.two((host) => (host === 'host-b' ? RUNBOOK : RUNBOOK.replace(worker, '')));
    // host-b: a pipeline waiting for its guard, whose condition holds only once the flag is there.
    expect((await b.t.oj(['run', 'gate', 'g1'], { cwd: b.root })).exitCode).toBe(0);
    await waitingForGuard(b, 'gate', 'flag');
    writeFileSync(join(kit.shared, 'flag-g1'), '');
    // host-b: a worker of a source queue that pulls only when woken (its idle timer is an hour).
    expect((await b.t.oj(['worker', 'start', 'pick'], { cwd: b.root })).exitCode).toBe(0);
    await waitFor('the worker idle on host-b', async () => (await b.rpc.call(EventMethods.List, { name: 'worker:idle' })).events.length > 0, 60_000, 100);
    writeFileSync(join(kit.shared, 'todo.json'), JSON.stringify([{ id: 't1' }]));
    // Nothing on host-b checks either again unless woken.
    for (const name of ['go:g1', 'todo:ready']) expect((await a.t.oj(['emit', name], { cwd: a.root })).exitCode).toBe(0);
    await waitFor('the gate passed on host-b', () => kit.lines('gates').includes('g1 host-b'), 60_000, 100);
    await waitFor('the item picked on host-b', () => kit.lines('picked').includes('t1 host-b'), 60_000, 100);
    // host-b's own log keeps its own events only.
    expect((await b.rpc.call(EventMethods.List, { name: 'go:*' })).events).toEqual([]);
    const woken = (await b.rpc.call(EventMethods.List, { name: 'guard:passed' })).events;
    expect(woken).toHaveLength(1);
  }, 240_000);

  it('a guard on host-b waiting for a pipeline of host-a is released by its completion; oj events --cluster shows the chain in order', async () => {
    const [a, b] = await kit.two(RUNBOOK);
    expect((await a.t.oj(['run', 'upstream', 'u1'], { cwd: a.root })).exitCode).toBe(0);
    const up = await waitFor('upstream running on host-a', async () => {
      const p = await only(a, 'upstream');
      return p.status === 'running' ? p : null;
    }, 60_000, 100);
    expect((await b.t.oj(['run', 'downstream', 'd1', up.id], { cwd: b.root })).exitCode).toBe(0);
    await waitingForGuard(b, 'downstream', 'upstream_done');
    writeFileSync(join(kit.shared, `go-u1`), '');
    await waitFor('downstream released on host-b', () => kit.lines('released').includes('d1 host-b'), 60_000, 100);
    // One chain across both hosts: host-b waited, then host-a's pipeline completed, then host-b's guard passed.
    const events = await waitFor('the chain shared', async () => {
      const all = await clusterEvents(b, '*');
      return all.some((e) => e.host === 'host-b' && e.name === 'guard:passed') ? all : null;
    }, 60_000, 200);
    const at = (host: string, name: string) => events.findIndex((e) => e.host === host && e.name === name);
    const waited = at('host-b', 'guard:waiting');
    const completed = at('host-a', `pipeline:${up.id}:complete`);
    const passed = at('host-b', 'guard:passed');
    expect(waited).toBeGreaterThanOrEqual(0);
    expect(completed).toBeGreaterThan(waited);
    expect(passed).toBeGreaterThan(completed);
  }, 240_000);

  it('oj events --cluster merges both hosts\' events in order, naming each one\'s host and its id there', async () => {
    const [a, b] = await kit.two(RUNBOOK);
    // Each emitted once the other host lists the one before (a causal order across the hosts).
    const steps: [Host, string][] = [[a, 'order:one'], [b, 'order:two'], [a, 'order:three']];
    const ids: number[] = [];
    for (const [h, name] of steps) {
      const r = await h.t.ojJson<{ id: number }>(['emit', name], { cwd: h.root });
      ids.push(r.id);
      for (const other of [a, b]) await waitFor(`${name} listed on ${other.name}`, async () => (await clusterEvents(other, name)).length === 1, 60_000, 100);
    }
    const json = await b.t.oj(['events', '--cluster', '--name', 'order:*', '--json'], { cwd: b.root });
    expect(json.exitCode, json.stderr).toBe(0);
    const listed = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as ClusterEventRecord);
    expect(listed.map((e) => [e.name, e.host, e.id])).toEqual([
      ['order:one', 'host-a', ids[0]],
      ['order:two', 'host-b', ids[1]],
      ['order:three', 'host-a', ids[2]],
    ]);
    const text = await a.t.oj(['events', '--cluster', '--name', 'order:*'], { cwd: a.root });
    expect(text.exitCode).toBe(0);
    const rows = text.stdout.trim().split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toContain(`host-b#${ids[1]}`);
    expect(rows[1]).toContain('order:two');
    // --since takes the cluster's sequence number.
    const since = await a.t.oj(['events', '--cluster', '--name', 'order:*', '--since', String(listed[0]!.seq), '--json'], { cwd: a.root });
    expect(since.stdout.trim().split('\n').map((l) => (JSON.parse(l) as ClusterEventRecord).name)).toEqual(['order:two', 'order:three']);
    // It lists; it does not follow.
    const follow = await a.t.oj(['events', '--cluster', '--follow'], { cwd: a.root });
    expect(follow.exitCode).toBe(2);
    expect(follow.stderr).toMatch(/cluster.*follow|follow.*cluster/);
  }, 240_000);
});

describe('oj events --cluster without a cluster', () => {
  it('says the daemon is on its own and points at oj events', async () => {
    const t = new TestEnv();
    try {
      await t.startDaemon();
      const r = await t.oj(['events', '--cluster']);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(/not in a cluster/);
      expect(r.stderr).toMatch(/oj events lists them/);
    } finally {
      await t.cleanup();
    }
  }, 60_000);
});
