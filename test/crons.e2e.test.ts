/** Crons, end to end with a real ojd and the real oj. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sqlite as BetterSqlite3 } from '../packages/daemon/src/storage/sqlite-driver.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestEnv, canConnect, makeProject, waitFor } from './helpers/ojd-harness.js';
import { Rpc } from './helpers/rpc-call.js';
import { startOjd } from './helpers/crash-kit.js';
import { CronMethods, EventMethods } from '@oj/protocol';

type Cron = {
  name: string;
  enabled: boolean;
  nextDueAt: string | null;
  lastRunAt: string | null;
  lastOutcome: string | null;
  lastError: string | null;
  lastPipeline: string | null;
  runs: number;
};

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
  const rpc = await Rpc.connect(t.socket);
  rpcs.push(rpc);
  return rpc;
}

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

async function cron(rpc: Rpc, root: string, name: string): Promise<Cron> {
  const { crons } = await rpc.call(CronMethods.List, { project: root });
  const c = crons.find((x) => x.name === name);
  if (!c) throw new Error(`no cron ${name}`);
  return c;
}

const CRONS = `
[cron.ticker]
interval = "1s"
run = "echo tick >> {project_root}/ticks"

[cron.ticker.events]
on_tick = "echo hook {cron} >> {project_root}/hooks"

[cron.nightly]
interval = "1h"
run = { pipeline = "cleanup" }
monitors = []

[pipeline.cleanup]

[[pipeline.cleanup.phase]]
name = "sweep"
run = "echo swept >> {project_root}/swept"
`;

describe('crons', () => {
  it('enable runs every interval on schedule, list shows the next due time, disable stops it', async () => {
    const rpc = await start();
    const root = makeProject(t, 'proj', { c: CRONS });
    const list0 = await t.oj(['cron', 'list'], { cwd: root });
    expect(list0.stdout).toMatch(/^CRON\s+STATUS\s+SCHEDULE\s+ZONE\s+NEXT\s+LAST RUN\s+OUTCOME\s+RUNS\nticker\s+disabled\s+every 1s\s+-\s+-\s+-\s+-\s+0\nnightly\s+disabled\s+every 1h\s+-\s+-/);
    const enabled = await t.oj(['cron', 'enable', 'ticker'], { cwd: root });
    expect(enabled.stdout).toBe('cron ticker enabled; next run in 1s\n');
    await waitFor('two ticks', () => lines(join(root, 'ticks')).length >= 2, 10_000);
    await waitFor('tick hook', () => lines(join(root, 'hooks')).includes('hook ticker'));
    const c = await cron(rpc, root, 'ticker');
    expect(c.enabled).toBe(true);
    expect(c.runs).toBeGreaterThanOrEqual(2);
    expect(Date.parse(c.nextDueAt!)).toBeGreaterThan(Date.parse(c.lastRunAt!)); // the daemon's own times
    const list = await t.oj(['cron', 'list'], { cwd: root });
    // A 1 s cron's next three runs are a second apart ("due" first while a tick is under way).
    expect(list.stdout).toMatch(/\nticker\s+enabled\s+every 1s\s+-\s+(due|\d\d:\d\d:\d\d), \d\d:\d\d:\d\d, \d\d:\d\d:\d\d\s+\d+s ago\s+(done|running)\s+\d+\n/);
    expect((await t.oj(['cron', 'disable', 'ticker'], { cwd: root })).stdout).toBe('cron ticker disabled\n');
    expect(await cron(rpc, root, 'ticker')).toMatchObject({ enabled: false, nextDueAt: null });
    const { events } = await rpc.call(EventMethods.List, { name: 'cron:*', project: root, limit: 1000 });
    const names = events.map((e) => e.name);
    expect(names[0]).toBe('cron:enabled');
    expect(names).toContain('cron:tick');
    expect(names).toContain('cron:complete');
    // After disable no tick starts; a run already under way may still complete after it.
    const disabledAt = names.lastIndexOf('cron:disabled');
    expect(disabledAt).toBeGreaterThan(0);
    expect(names.slice(disabledAt + 1).filter((n) => n !== 'cron:complete' && n !== 'cron:failed')).toEqual([]);
  });

  it('oj cron run runs a pipeline cron once now, enabled or not', async () => {
    const rpc = await start();
    const root = makeProject(t, 'proj', { c: CRONS });
    const r = await t.oj(['cron', 'run', 'nightly'], { cwd: root });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('cron nightly started pipeline cleanup\n');
    const done = await waitFor('run recorded', async () => {
      const c = await cron(rpc, root, 'nightly');
      return c.lastOutcome === 'done' ? c : null;
    });
    expect(done).toMatchObject({ enabled: false, runs: 1, lastPipeline: 'cleanup', nextDueAt: null });
    expect(lines(join(root, 'swept'))).toEqual(['swept']);
    const unknown = await t.oj(['cron', 'run', 'nighty'], { cwd: root });
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stderr).toMatch(/cron not found: nighty\nhint: did you mean "nightly"\?/);
  });

  it('a cron run under way when ojd is killed ends as failed with its cron:failed event at the next start', async () => {
    const d = await t.startDaemon();
    const rpc = await Rpc.connect(t.socket);
    const root = makeProject(t, 'proj', {
      c: `
[cron.slow]
interval = "1h"
run = "touch {project_root}/started; exec sleep 601.25"
`,
    });
    try {
      await rpc.call(CronMethods.Run, { project: root, name: 'slow' });
      await waitFor('the run started', () => existsSync(join(root, 'started')), 20_000);
    } finally {
      rpc.close();
    }
    d.kill('SIGKILL');
    await waitFor('ojd to die', () => d.exitCode !== null || d.signalCode !== null);
    const again = await start();
    const c = await waitFor('the killed run recorded', async () => {
      const x = await cron(again, root, 'slow');
      return x.lastOutcome === 'failed' ? x : null;
    });
    expect(c.lastError).toBe('the daemon stopped during this run');
    const { events } = await again.call(EventMethods.List, { name: 'cron:*', project: root, limit: 100 });
    expect(events.map((e) => e.name)).toEqual(['cron:tick', 'cron:failed']);
    expect(events[1]!.data.error).toBe('the daemon stopped during this run');
    // Commands of a killed daemon are not tracked across the crash (docs/reliability.md): end this one.
    spawnSync('pkill', ['-f', 'sleep 601.25']);
  });

  it('oj runbook check refuses an interval shorter than 1s, naming file, cron and field, with a hint', async () => {
    const root = makeProject(t, 'proj', { fast: '[cron.spin]\ninterval = "1ms"\nrun = "true"\n' });
    const r = await t.oj(['runbook', 'check'], { cwd: root });
    expect(r.exitCode).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/fast\.toml:\d+: cron\.spin field interval: "1ms" is shorter than the minimum of 1s/);
    expect(out).toMatch(/a cron ticks at most once a second/);
  });

  it('ticks skipped while the previous run goes on become one cron:skipped event with their count, before the next tick', async () => {
    const rpc = await start();
    const root = makeProject(t, 'proj', {
      c: '[cron.slow]\ninterval = "1s"\nrun = "touch {project_root}/started; while [ ! -f {project_root}/go ]; do sleep 0.05; done"\n',
    });
    await rpc.call(CronMethods.Enable, { project: root, name: 'slow' });
    await waitFor('the first run to start', () => existsSync(join(root, 'started')), 20_000);
    // Each skipped tick moves the next due time on: wait for three of them, as the daemon records them.
    const seen = new Set<string>();
    await waitFor(
      'three skipped ticks',
      async () => {
        const c = await cron(rpc, root, 'slow');
        if (c.lastOutcome === 'running' && c.runs === 1 && c.nextDueAt) seen.add(c.nextDueAt);
        return seen.size >= 4;
      },
      30_000,
      50,
    );
    const skippedEvents = async () =>
      (await rpc.call(EventMethods.List, { name: 'cron:skipped', limit: 1000 })).events;
    // While the run goes on, skips are counted, not written one by one.
    expect(await skippedEvents()).toEqual([]);
    writeFileSync(join(root, 'go'), '');
    await waitFor('the next tick to run', async () => (await cron(rpc, root, 'slow')).runs >= 2, 30_000);
    await rpc.call(CronMethods.Disable, { project: root, name: 'slow' });
    const skipped = await skippedEvents();
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.data).toMatchObject({ cron: 'slow', reason: 'the previous run was still under way' });
    expect(skipped[0]!.data.count).toBeGreaterThanOrEqual(3);
    expect(Date.parse(String(skipped[0]!.data.lastAt))).toBeGreaterThan(Date.parse(String(skipped[0]!.data.firstAt)));
    const ticks = (await rpc.call(EventMethods.List, { name: 'cron:tick', limit: 1000 })).events.map((e) => e.id).sort((a, b) => a - b);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(skipped[0]!.id).toBeGreaterThan(ticks[0]!);
    expect(skipped[0]!.id).toBeLessThan(ticks[1]!);
  });

  it('after a long downtime an enabled cron runs once, then continues on its original grid', async () => {
    let rpc = await start();
    const root = makeProject(t, 'proj', { c: CRONS });
    await rpc.call(CronMethods.Enable, { project: root, name: 'nightly' });
    const { nextDueAt } = await cron(rpc, root, 'nightly');
    rpc.close();
    expect((await t.oj(['daemon', 'stop'], { cwd: root })).exitCode).toBe(0);
    await waitFor('daemon gone', async () => !(await canConnect(t.socket)));
    expect(Date.parse(nextDueAt!)).toBeGreaterThan(Date.now());
    // Pretend the daemon was down for 3h10m past the due time: three more slots missed.
    const due = Date.now() - 3 * 3_600_000 - 600_000;
    const db = new BetterSqlite3(join(t.stateDir, 'oj.db'));
    db.prepare('UPDATE crons SET next_due_at = ? WHERE name = ?').run(due, 'nightly');
    db.close();
    rpc = await start();
    const ran = await waitFor('one catch-up run', async () => {
      const c = await cron(rpc, root, 'nightly');
      return c.lastOutcome === 'done' ? c : null;
    });
    expect(ran.runs).toBe(1);
    expect(lines(join(root, 'swept'))).toEqual(['swept']);
    // Back on the grid it was enabled on: due + 4 intervals, the first slot after now.
    expect(Date.parse(ran.nextDueAt!)).toBe(due + 4 * 3_600_000);
    expect(ran.enabled).toBe(true);
  });
});

describe('crons across a crash', () => {
  it('killed between claiming a due slot and recording its step (OJ_FAULT=cron:slot-claimed): the slot still runs, once, after the restart', async () => {
    const root = makeProject(t, 'proj', {
      c: '[cron.beat]\ninterval = "2s"\ncatch_up = "all"\nmax_catch_up = 1000\nrun = "echo beat >> {project_root}/beats"\n',
    });
    const dying = await startOjd(t, { OJ_FAULT: 'cron:slot-claimed' });
    const rpc = await Rpc.connect(t.socket);
    await rpc.call(CronMethods.Enable, { project: root, name: 'beat' });
    const slot = (await cron(rpc, root, 'beat')).nextDueAt!;
    rpc.close();
    // Its first slot comes due: the daemon claims it and dies before the step that runs it is written.
    expect((await dying.exited).signal).toBe('SIGKILL');
    expect(dying.stderr()).toMatch(/OJ_FAULT: killing myself at cron:slot-claimed/);
    const again = await start();
    const ticks = async () => (await again.call(EventMethods.List, { name: 'cron:tick', project: root, limit: 1000 })).events.map((e) => String(e.data.scheduledAt));
    await waitFor(`the slot ${slot} to run`, async () => (await ticks()).includes(slot), 60_000, 100);
    await again.call(CronMethods.Disable, { project: root, name: 'beat' });
    expect((await ticks()).filter((s) => s === slot)).toHaveLength(1);
  }, 120_000);
});
