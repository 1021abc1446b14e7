/**
 * Cluster mode end to end, what every host of a project shares besides its
 * queues: workers' started/stopped and crons' enabled/disabled (a command
 * on one host, followed by the others, and by a host that was down when it
 * starts), and cron slots (a host that was down reports missed only the
 * slots no host ran). Two real ojd on one PostgreSQL.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CronMethods, EventMethods, QueueMethods, WorkerMethods } from '@oj/protocol';
import { waitFor } from './helpers/ojd-harness.js';
import { clusterSuite, lines, type Host } from './helpers/cluster-kit.js';

const { kit, skip } = clusterSuite();

const RUNBOOK = `
[queue.jobs]

[worker.drain]
queue = "jobs"
handler = "pipeline.handle"
concurrency = 2
idle_action = "wait:1h"

[pipeline.handle]
inputs = ["job"]

[[pipeline.handle.phase]]
name = "work"
run = "sleep 0.2; echo \\"{job.id} $(cat {project_root}/host)\\" >> SHARED/ran"

[cron.tick]
interval = "1s"
catch_up = "none"
run = "echo \\"$(cat {project_root}/host)\\" >> SHARED/ticks"
`;

const worker = async (h: Host) => (await h.rpc.call(WorkerMethods.Show, { project: h.root, name: 'drain' })).worker;
const cron = async (h: Host) => (await h.rpc.call(CronMethods.List, { project: h.root })).crons.find((c) => c.name === 'tick')!;
const events = async (h: Host, name: string) => (await h.rpc.call(EventMethods.List, { name, project: h.root, limit: 1000 })).events;

describe.skipIf(skip)('cluster mode: settings every host shares', () => {
  it('a worker started on one host starts on every host; stopped on another, it stops everywhere; a host that was down follows when it starts', async () => {
    const [a, b] = await kit.two(RUNBOOK);
    expect((await a.t.oj(['worker', 'start', 'drain'], { cwd: a.root })).exitCode).toBe(0);
    await waitFor('host-b to start its worker too', async () => (await worker(b)).status === 'started', 60_000, 100);
    const started = (await events(b, 'worker:started'))[0];
    expect(started?.data).toMatchObject({ worker: 'drain' });
    // Both drain the queue (each within its own concurrency).
    const items = Array.from({ length: 16 }, (_, i) => ({ id: `w${i + 1}` }));
    expect((await b.t.oj(['queue', 'add', 'jobs', JSON.stringify(items)], { cwd: b.root })).exitCode).toBe(0);
    await waitFor('every item completed', async () => (await a.rpc.call(QueueMethods.Queues, { project: a.root })).queues[0]!.counts.completed === 16, 120_000, 200);
    expect(new Set(lines(join(kit.shared, 'ran')).map((l) => l.split(' ')[1]))).toEqual(new Set(['host-a', 'host-b']));
    // Stopped on host-b: host-a's stops too, saying where.
    expect((await b.t.oj(['worker', 'stop', 'drain'], { cwd: b.root })).exitCode).toBe(0);
    await waitFor('host-a to stop its worker', async () => (await worker(a)).status === 'stopped', 60_000, 100);
    expect((await events(a, 'worker:stopped')).at(-1)?.data).toMatchObject({ worker: 'drain', reason: 'stopped on host host-b' });
    // host-b is down while the worker is started on host-a: it starts it when it comes back.
    await kit.stopHost(b);
    expect((await a.t.oj(['worker', 'start', 'drain'], { cwd: a.root })).exitCode).toBe(0);
    await kit.restart(b);
    await waitFor('host-b, back, to follow', async () => (await worker(b)).status === 'started', 60_000, 100);
  }, 360_000);

  it('a cron enabled on one host is enabled on every host (each slot runs once); disabled on another, it is disabled everywhere', async () => {
    const [a, b] = await kit.two(RUNBOOK);
    expect((await a.t.oj(['cron', 'enable', 'tick'], { cwd: a.root })).exitCode).toBe(0);
    await waitFor('host-b to enable it too', async () => (await cron(b)).enabled, 60_000, 100);
    await waitFor('6 ticks', () => lines(join(kit.shared, 'ticks')).length >= 6, 60_000, 100);
    expect((await b.t.oj(['cron', 'disable', 'tick'], { cwd: b.root })).exitCode).toBe(0);
    await waitFor('host-a to disable it', async () => !(await cron(a)).enabled, 60_000, 100);
    const slots: string[] = [];
    for (const h of [a, b]) slots.push(...(await events(h, 'cron:tick')).map((e) => String(e.data.scheduledAt)));
    expect(new Set(slots).size).toBe(slots.length);
    expect((await events(a, 'cron:disabled')).length).toBe(1);
  }, 360_000);

  it('a host that was down reports missed only the slots no host ran (catch_up = "none")', async () => {
    // A short lease: a slot that passed more than a lease ago is no longer being claimed by a live host.
    const [a, b] = await kit.two(RUNBOOK, { OJ_HOST_LEASE_MS: '3000' });
    expect((await a.t.oj(['cron', 'enable', 'tick'], { cwd: a.root })).exitCode).toBe(0);
    await waitFor('host-b to enable it too', async () => (await cron(b)).enabled, 60_000, 100);
    await kit.stopHost(b);
    // host-a runs every slot while host-b is down: 6 of them, more than a lease.
    const before = lines(join(kit.shared, 'ticks')).length;
    await waitFor('6 slots run by host-a', () => lines(join(kit.shared, 'ticks')).length >= before + 6, 60_000, 100);
    await kit.restart(b);
    // host-b goes on with the cron (it runs slots again)...
    await waitFor('host-b to run a slot again', () => lines(join(kit.shared, 'ticks')).slice(before + 6).includes('host-b'), 60_000, 100);
    await b.rpc.call(CronMethods.Disable, { project: b.root, name: 'tick' });
    // ...and reported none of the slots host-a ran as missed.
    expect(await events(b, 'cron:missed')).toEqual([]);
  }, 360_000);
});
