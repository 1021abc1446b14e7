/**
 * Calendar crons end to end with a real ojd and the real oj: a 6-field
 * schedule fires on its slots, listings show the next run times, and slots
 * missed while ojd was down follow the cron's catch_up. Every check reads
 * the daemon's own records (slot times in events, the stored due slot);
 * waits poll with a deadline.
 */
import { join } from 'node:path';
import { CronMethods, EventMethods } from '@oj/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sqlite as BetterSqlite3 } from '../packages/daemon/src/storage/sqlite-driver.js';
import { TestEnv, canConnect, makeProject, waitFor } from './helpers/ojd-harness.js';
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

async function start(): Promise<Rpc> {
  await t.startDaemon();
  const rpc = await Rpc.connect(t.socket);
  rpcs.push(rpc);
  return rpc;
}

type Ev = { id: number; name: string; data: Record<string, unknown> };

async function cronEvents(rpc: Rpc, root: string): Promise<Ev[]> {
  const { events } = await rpc.call(EventMethods.List, { name: 'cron:*', project: root, limit: 1000 });
  return [...events].sort((a, b) => a.id - b.id) as Ev[];
}

const slotOf = (e: Ev) => Date.parse(String(e.data.scheduledAt));
const ticks = (events: Ev[]) => events.filter((e) => e.name === 'cron:tick');

const EVEN = (catchUp: string, extra = '') => `
[cron.even]
schedule = "*/2 * * * * *"
catch_up = "${catchUp}"
${extra}
run = "echo tick >> {project_root}/ticks"
`;

describe('calendar crons', () => {
  it('a 6-field */2 schedule fires on even seconds; oj cron list (--json) and oj cron next show its next times', async () => {
    const rpc = await start();
    const root = makeProject(t, 'proj', { c: EVEN('latest') });
    const enabled = await t.oj(['cron', 'enable', 'even'], { cwd: root });
    expect(enabled.exitCode).toBe(0);
    expect(enabled.stdout).toMatch(/^cron even enabled; next run \w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d[02468] [+-]\d\d:\d\d \((in \d+s|due)\)\n$/);
    const fired = await waitFor('three ticks', async () => {
      const ts = ticks(await cronEvents(rpc, root));
      return ts.length >= 3 ? ts : null;
    }, 60_000, 100);
    // Every slot the daemon ran is on an even second, whole, and later than the one before.
    const slots = fired.map(slotOf);
    for (const s of slots) expect(s % 2000).toBe(0);
    for (let i = 1; i < slots.length; i++) expect(slots[i]!).toBeGreaterThan(slots[i - 1]!);
    for (const e of fired) expect(e.data).toMatchObject({ cron: 'even', manual: false, catchUp: false });

    const list = JSON.parse((await t.oj(['cron', 'list', '--json'], { cwd: root })).stdout) as CronMethods.CronInfo[];
    const even = list.find((c) => c.name === 'even')!;
    expect(even).toMatchObject({ enabled: true, schedule: '*/2 * * * * *', interval: null, jitter: null, catchUp: 'latest' });
    expect(even.timezone).toBe(new Intl.DateTimeFormat().resolvedOptions().timeZone);
    const next = even.nextRuns.map((s) => Date.parse(s));
    expect(next).toHaveLength(3);
    expect(even.nextRuns[0]).toBe(even.nextDueAt);
    expect(next.map((s) => s % 2000)).toEqual([0, 0, 0]);
    expect([next[1]! - next[0]!, next[2]! - next[1]!]).toEqual([2000, 2000]);

    const table = await t.oj(['cron', 'list'], { cwd: root });
    expect(table.stdout).toMatch(/^CRON\s+STATUS\s+SCHEDULE\s+ZONE\s+NEXT\s+LAST RUN\s+OUTCOME\s+RUNS\n/);
    expect(table.stdout).toMatch(/\neven\s+enabled\s+\*\/2 \* \* \* \* \*\s+\S+\s+(due|\d\d:\d\d:\d[02468]), \d\d:\d\d:\d[02468], \d\d:\d\d:\d[02468]\s/);

    const upcoming = await t.oj(['cron', 'next', 'even', '--count', '4'], { cwd: root });
    const lines = upcoming.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^even: \*\/2 \* \* \* \* \* in \S+$/);
    expect(lines.slice(1)).toHaveLength(4);
    for (const l of lines.slice(1)) expect(l).toMatch(/^ {2}\w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d[02468] [+-]\d\d:\d\d$/);
    const r = await rpc.call(CronMethods.Next, { project: root, name: 'even', count: 2 });
    expect(r.times.map((s) => Date.parse(s) % 2000)).toEqual([0, 0]);
  });

  it('oj cron next shows a disabled calendar cron as it would run, in its zone across a DST change', async () => {
    const rpc = await start();
    const root = makeProject(t, 'proj', { c: '[cron.night]\nschedule = "0 3 * * *"\ntimezone = "America/New_York"\nrun = "true"\n' });
    const r = await rpc.call(CronMethods.Next, { project: root, name: 'night', count: 370 });
    expect(r).toMatchObject({ enabled: false, schedule: '0 3 * * *', timezone: 'America/New_York' });
    // A year of 03:00s in New York: every one at 03:00 local, with both offsets.
    const out = await t.oj(['cron', 'next', 'night', '--count', '370'], { cwd: root });
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('night: 0 3 * * * in America/New_York (not enabled: the times it would run)');
    expect(lines.slice(1).every((l) => / 03:00:00 -0[45]:00$/.test(l))).toBe(true);
    expect(lines.some((l) => l.endsWith('-04:00'))).toBe(true);
    expect(lines.some((l) => l.endsWith('-05:00'))).toBe(true);
    const bad = await t.oj(['cron', 'next', 'nigth'], { cwd: root });
    expect(bad.exitCode).toBe(3);
    expect(bad.stderr).toMatch(/cron not found: nigth\nhint: did you mean "night"\?/);
  });

  /**
   * Enables the cron, lets it tick, stops ojd, waits (polling the clock)
   * until three slots have passed since the stored due slot, starts ojd and
   * waits for the first ordinary tick after the downtime. Returns the stored
   * due slot at stop, the cron:missed event and every cron event.
   */
  async function downForThreeSlots(catchUp: string, extra = ''): Promise<{ due: number; missed: Ev; events: Ev[] }> {
    let rpc = await start();
    const root = makeProject(t, 'proj', { c: EVEN(catchUp, extra) });
    await rpc.call(CronMethods.Enable, { project: root, name: 'even' });
    await waitFor('a first tick', async () => ticks(await cronEvents(rpc, root)).length >= 1, 60_000, 100);
    rpc.close();
    expect((await t.oj(['daemon', 'stop'], { cwd: root })).exitCode).toBe(0);
    await waitFor('ojd gone', async () => !(await canConnect(t.socket)), 30_000);
    const db = new BetterSqlite3(join(t.stateDir, 'oj.db'));
    const due = (db.prepare('SELECT next_due_at FROM crons WHERE name = ?').get('even') as { next_due_at: number }).next_due_at;
    db.close();
    expect(due % 2000).toBe(0);
    // Three slots (due, due + 2s, due + 4s) pass while ojd is down.
    await waitFor('three slots to pass', () => Date.now() > due + 4000 + 100, 30_000, 50);
    rpc = await start();
    const missed = await waitFor('cron:missed', async () => (await cronEvents(rpc, root)).find((e) => e.name === 'cron:missed'), 60_000, 100);
    const lastMissed = Date.parse(String(missed.data.lastAt));
    const events = await waitFor(
      'an ordinary tick after the downtime',
      async () => {
        const all = await cronEvents(rpc, root);
        return ticks(all).some((e) => e.data.catchUp === false && slotOf(e) > lastMissed) ? all : null;
      },
      60_000,
      100,
    );
    return { due, missed, events };
  }

  it('catch_up = "latest": after ojd was down for three slots, exactly one catch-up run, for the last missed slot', async () => {
    const { due, missed, events } = await downForThreeSlots('latest');
    expect(missed.data).toMatchObject({ cron: 'even', firstAt: new Date(due).toISOString(), catchUp: 'latest', runs: 1 });
    expect(Number(missed.data.count)).toBeGreaterThanOrEqual(3);
    const lastMissed = Date.parse(String(missed.data.lastAt));
    const catchUps = ticks(events).filter((e) => e.data.catchUp === true);
    expect(catchUps).toHaveLength(1);
    expect(slotOf(catchUps[0]!)).toBe(lastMissed);
    // No other run for a slot of the downtime.
    expect(ticks(events).filter((e) => slotOf(e) >= due && slotOf(e) <= lastMissed)).toEqual(catchUps);
    expect(catchUps[0]!.id).toBeGreaterThan(missed.id);
  });

  it('catch_up = "none": after ojd was down for three slots, no run for them', async () => {
    const { due, missed, events } = await downForThreeSlots('none');
    expect(missed.data).toMatchObject({ cron: 'even', firstAt: new Date(due).toISOString(), catchUp: 'none', runs: 0 });
    expect(Number(missed.data.count)).toBeGreaterThanOrEqual(3);
    const lastMissed = Date.parse(String(missed.data.lastAt));
    expect(ticks(events).filter((e) => e.data.catchUp === true)).toEqual([]);
    expect(ticks(events).filter((e) => slotOf(e) >= due && slotOf(e) <= lastMissed)).toEqual([]);
  });

  it('catch_up = "all" with max_catch_up = 2: the two most recent missed slots run, one after the other', async () => {
    const { missed, events } = await downForThreeSlots('all', 'max_catch_up = 2');
    expect(missed.data).toMatchObject({ catchUp: 'all', runs: 2 });
    const lastMissed = Date.parse(String(missed.data.lastAt));
    const catchUps = ticks(events).filter((e) => e.data.catchUp === true);
    expect(catchUps.map(slotOf)).toEqual([lastMissed - 2000, lastMissed]);
    // The second started after the first had ended.
    const firstEnd = events.find((e) => e.name === 'cron:complete' && e.id > catchUps[0]!.id)!;
    expect(firstEnd.id).toBeLessThan(catchUps[1]!.id);
  });
});

describe('calendar crons in runbook check (no daemon)', () => {
  it('an invalid expression or zone is a load error naming file, line and field', async () => {
    const root = makeProject(t, 'proj', {
      c: '[cron.a]\nschedule = "0 25 * * *"\nrun = "true"\n\n[cron.b]\nschedule = "0 3 * * *"\ntimezone = "Europe/Pari"\nrun = "true"\n',
    });
    const r = await t.oj(['runbook', 'check'], { cwd: root });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('.oj/runbooks/c.toml:2: cron.a field schedule: bad schedule "0 25 * * *": Invalid value for hour: 25');
    expect(r.stderr).toContain('.oj/runbooks/c.toml:7: cron.b field timezone: unknown time zone "Europe/Pari" (did you mean "Europe/Paris"?)');
  });

  it('--verbose prints each cron\'s next run, in its zone', async () => {
    const root = makeProject(t, 'proj', {
      c: '[cron.night]\nschedule = "0 3 * * *"\ntimezone = "America/New_York"\nrun = "true"\n\n[cron.tick]\ninterval = "30s"\nrun = "true"\n',
    });
    const r = await t.oj(['runbook', 'check', '--verbose'], { cwd: root });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/\n {2}cron night: 0 3 \* \* \* in America\/New_York; next run \w{3} \d{4}-\d\d-\d\d 03:00:00 -0[45]:00\n/);
    expect(r.stdout).toContain('\n  cron tick: every 30s; first run 30s after oj cron enable\n');
    expect((await t.oj(['runbook', 'check'], { cwd: root })).stdout).not.toContain('cron night');
  });
});
