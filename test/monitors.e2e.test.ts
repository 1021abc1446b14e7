/** Monitors and actions: sources, conditions, response chains, built-in actions, hooks, [safety]. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actions, events, tick } from './helpers/monitor-kit.js';
import { TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { Rpc } from './helpers/rpc-call.js';
import { EventMethods, LockMethods } from '@oj/protocol';

type Esc = { id: number; pipeline: string | null; source: string; reason: string; status: string; resolution: string | null };

let t: TestEnv;
let rpc: Rpc;
beforeEach(async () => {
  t = new TestEnv();
  await t.startDaemon();
  rpc = await Rpc.connect(t.socket);
});
afterEach(async () => {
  rpc.close();
  await t.cleanup();
});

const run = (root: string) => tick(rpc, root, 'c');
const acts = (root: string) => actions(rpc, root);
const evs = (root: string, pattern: string) => events(rpc, root, pattern);

describe('monitors', () => {
  it('a response chain takes one step per tick per item, item fields are injection-safe, and a recovered item starts over', async () => {
    const root = makeProject(t, 'proj', {
      m: `
[cron.c]
interval = "1h"
monitors = ["m"]

[cron.c.events]
on_poke = "echo {action} {name} {attempt} >> hooks.log"

[monitor.m]
source = "cat items.json"
condition = "test -e match-{name}"
response = ["poke:2", "escalate"]

[action.poke]
run = "echo poke {name} >> poked.log"
`,
    });
    const evil = 'x; touch pwned';
    writeFileSync(join(root, 'items.json'), JSON.stringify([{ name: 'a' }, { name: evil }, { name: 'b' }]));
    writeFileSync(join(root, 'match-a'), '');
    writeFileSync(join(root, `match-${evil}`), '');

    for (let i = 0; i < 4; i++) expect((await run(root)).lastOutcome).toBe('done');
    expect(await acts(root)).toEqual([
      'poke a 1/2',
      `poke ${evil} 1/2`,
      'poke a 2/2',
      `poke ${evil} 2/2`,
      'escalate a',
      `escalate ${evil}`,
    ]);
    expect(existsSync(join(root, 'pwned'))).toBe(false);
    expect(readFileSync(join(root, 'poked.log'), 'utf8').split('\n').filter(Boolean)).toEqual(['poke a', `poke ${evil}`, 'poke a', `poke ${evil}`]);
    await waitFor('hooks', () => readFileSync(join(root, 'hooks.log'), 'utf8').includes(`poke ${evil} 2`) && true);

    // What needs a human is listed, with the monitor as its source; resolve closes it.
    const open = await t.ojJson<Esc[]>(['escalation', 'list'], { cwd: root });
    expect(open.map((e) => [e.source, e.reason])).toEqual(
      expect.arrayContaining([
        ['monitor:m', expect.stringMatching(/^m: a still matches after 2 actions/)],
        ['monitor:m', expect.stringMatching(/still matches/)],
      ]),
    );
    for (const e of open) expect((await t.oj(['escalation', 'resolve', String(e.id), '--note', 'seen'], { cwd: root })).exitCode).toBe(0);
    expect(await t.ojJson<Esc[]>(['escalation', 'list'], { cwd: root })).toEqual([]);

    // a stops matching: its chain starts over; the exhausted evil chain does nothing more.
    writeFileSync(join(root, 'items.json'), JSON.stringify([{ name: 'a' }, { name: evil }]));
    rmSync(join(root, 'match-a'));
    await run(root);
    expect((await evs(root, 'monitor:recovered')).map((e) => e.data.item)).toEqual(['a']);
    writeFileSync(join(root, 'match-a'), '');
    await run(root);
    expect((await acts(root)).slice(6)).toEqual(['poke a 1/2']);
  });

  it('ticks inside a cooldown do nothing, and an item that looks fine during it keeps its place', async () => {
    const root = makeProject(t, 'proj', {
      m: `
[cron.c]
interval = "1h"
monitors = ["m"]

[monitor.m]
condition = "test -e stuck"
response = ["poke", "kick"]

[action.poke]
run = "true"
cooldown = "1h"

[action.kick]
run = "true"
`,
    });
    writeFileSync(join(root, 'stuck'), '');
    await run(root);
    expect(await acts(root)).toEqual(['poke ']);
    rmSync(join(root, 'stuck'));
    await run(root); // clear, but poke is cooling down for an hour: the chain keeps its place
    writeFileSync(join(root, 'stuck'), '');
    await run(root);
    await run(root);
    expect(await acts(root)).toEqual(['poke ']);
    expect(await evs(root, 'monitor:recovered')).toEqual([]);
  });

  it('the next step runs once the cooldown has passed, never before', async () => {
    const root = makeProject(t, 'proj', {
      m: `
[cron.c]
interval = "1h"
monitors = ["m"]

[monitor.m]
condition = "test -e stuck"
response = ["poke", "kick"]

[action.poke]
run = "true"
cooldown = "2s"

[action.kick]
run = "true"
`,
    });
    writeFileSync(join(root, 'stuck'), '');
    await run(root);
    rmSync(join(root, 'stuck'));
    await run(root);
    writeFileSync(join(root, 'stuck'), '');
    await waitFor(
      'the next step',
      async () => {
        await run(root);
        return (await acts(root)).length === 2;
      },
      30_000,
      100,
    );
    expect(await acts(root)).toEqual(['poke ', 'kick ']);
    const [poke, kick] = await evs(root, 'action:*');
    // Measured on the daemon's own clock: the step came no sooner than the cooldown allowed.
    expect(Date.parse(kick!.time) - Date.parse(poke!.time)).toBeGreaterThanOrEqual(2000);
    expect(await evs(root, 'monitor:recovered')).toEqual([]);
  });

  it('built-in actions act on locks and queue items through the daemon', async () => {
    const root = makeProject(t, 'proj', {
      m: `
[lock.deploy]
heartbeat = "1s"
on_stale = "escalate"

[queue.jobs]
max_retries = 1

[cron.c]
interval = "1h"
monitors = ["stale", "held_too_long", "doomed"]

[monitor.stale]
source = "oj lock list --json"
condition = "oj lock is-stale {id}"
response = ["release"]

[monitor.held_too_long]
source = "oj queue list jobs --json"
condition = "test {status} = taken && test {id} = j1"
response = ["requeue"]

[monitor.doomed]
source = "oj queue list jobs --json"
condition = "test {id} = j2 && test {status} != dead"
response = ["nudge", "dead"]
`,
    });
    expect((await t.oj(['lock', 'acquire', 'deploy', '--holder', 'laptop'], { cwd: root })).exitCode).toBe(0);
    await t.oj(['queue', 'add', 'jobs', 'id=j1'], { cwd: root });
    await t.oj(['queue', 'add', 'jobs', 'id=j2'], { cwd: root });
    expect((await t.oj(['queue', 'take', 'jobs'], { cwd: root })).exitCode).toBe(0);
    await waitFor('stale lock', async () => (await rpc.call(LockMethods.IsStale, { project: root, name: 'deploy' })).stale, 10_000, 100);
    await run(root);
    const locks = await t.ojJson<{ held: boolean }[]>(['lock', 'list'], { cwd: root });
    expect(locks[0]!.held).toBe(false);
    const items = await t.ojJson<{ id: string; status: string }[]>(['queue', 'list', 'jobs'], { cwd: root });
    expect(Object.fromEntries(items.map((i) => [i.id, i.status]))).toEqual({ j1: 'pending', j2: 'dead' });
    // nudge had nothing to nudge (no session): skipped, and dead came in the same tick.
    expect((await acts(root)).sort()).toEqual(['dead j2', 'release m.lock.deploy', 'requeue j1'].sort());
  });

  it('the dead action buries an item of an on_exhaust = "requeue" queue at once: one queue:item:dead event, no fail loop', async () => {
    const root = makeProject(t, 'proj', {
      m: `
[queue.jobs]
max_retries = 1
on_exhaust = "requeue"

[cron.c]
interval = "1h"
monitors = ["doomed"]

[monitor.doomed]
source = "oj queue list jobs --json"
condition = "test {id} = j1 && test {status} != dead"
response = ["dead"]
`,
    });
    await t.oj(['queue', 'add', 'jobs', 'id=j1'], { cwd: root });
    await t.oj(['queue', 'add', 'jobs', 'id=j2'], { cwd: root });
    const lastId = async () => (await rpc.call(EventMethods.List, { limit: 1 })).lastId;
    const before = await lastId();
    expect((await run(root)).lastOutcome).toBe('done');
    const items = await t.ojJson<{ id: string; status: string; failures: number }[]>(['queue', 'list', 'jobs'], { cwd: root });
    expect(Object.fromEntries(items.map((i) => [i.id, i.status]))).toEqual({ j1: 'dead', j2: 'pending' });
    expect(await acts(root)).toEqual(['dead j1']);
    const { events } = await rpc.call(EventMethods.List, { since: before, project: root, limit: 10_000 });
    expect(events.filter((e) => e.name.startsWith('queue:')).map((e) => e.name)).toEqual(['queue:item:dead']);
    // One cron run (its tick, match and action events) and the bury: a small, bounded number of events.
    expect((await lastId()) - before).toBeLessThan(20);
    const dead = await t.ojJson<{ id: string; error: string }[]>(['queue', 'dead', 'jobs'], { cwd: root });
    expect(dead).toMatchObject([{ id: 'j1', error: expect.stringMatching(/^monitor:doomed: /) }]);
  });

  it('a failing source fails the cron run and resets nothing', async () => {
    const root = makeProject(t, 'proj', {
      m: `
[cron.c]
interval = "1h"
monitors = ["m"]

[monitor.m]
source = "cat items.txt"
response = ["poke", "kick"]

[action.poke]
run = "true"

[action.kick]
run = "true"
`,
    });
    writeFileSync(join(root, 'items.txt'), 'one\n');
    await run(root);
    writeFileSync(join(root, 'items.txt'), '');
    rmSync(join(root, 'items.txt'));
    const failed = await run(root);
    expect(failed.lastOutcome).toBe('failed');
    expect(failed.lastError).toMatch(/monitor m: source failed \(exit code 1\): cat: items.txt/);
    expect((await evs(root, 'monitor:error')).length).toBe(1);
    writeFileSync(join(root, 'items.txt'), 'one\n');
    await run(root);
    expect(await acts(root)).toEqual(['poke one', 'kick one']);
  });

  it('[safety]: protected paths are never touched, and every match is rehearsed before it is acted on', async () => {
    const root = makeProject(t, 'proj', {
      clean: `
[safety]
protected = ["data/keep", "data/**/precious-*"]

[cron.c]
interval = "1h"
monitors = ["tmp"]

[cron.c.events]
on_clean = "echo cleaned {key} >> cleaned.log"

[monitor.tmp]
source = "ls -d data/*/ data/*/* | sed 's:/$::'"
condition = "case {name} in *.tmp|keep) true ;; *) false ;; esac"
action = "rm -rf {path}"
`,
    });
    for (const d of ['data/a', 'data/keep']) mkdirSync(join(root, d), { recursive: true });
    for (const f of ['data/a/x.tmp', 'data/a/precious-1.tmp', 'data/a/ok.txt', 'data/keep/y.tmp']) writeFileSync(join(root, f), '');
    await run(root);
    const dry = await evs(root, 'monitor:dry-run');
    expect(dry.map((e) => e.data.item)).toEqual(['data/a/x.tmp']);
    expect(dry[0]!.data.would).toBe("run: rm -rf 'data/a/x.tmp'");
    expect((await evs(root, 'monitor:protected')).map((e) => [e.data.item, e.data.protected]).sort()).toEqual(
      [
        ['data/a/precious-1.tmp', 'data/**/precious-*'],
        ['data/keep', 'data/keep'],
        ['data/keep/y.tmp', 'data/keep'],
      ].sort(),
    );
    expect(existsSync(join(root, 'data/a/x.tmp'))).toBe(true);
    await run(root);
    expect(existsSync(join(root, 'data/a/x.tmp'))).toBe(false);
    for (const f of ['data/a/precious-1.tmp', 'data/a/ok.txt', 'data/keep/y.tmp']) expect(existsSync(join(root, f))).toBe(true);
    expect(await acts(root)).toEqual(['clean data/a/x.tmp']);
    await waitFor('on_clean hook', () => existsSync(join(root, 'cleaned.log')) && readFileSync(join(root, 'cleaned.log'), 'utf8') === 'cleaned data/a/x.tmp\n');
    expect((await evs(root, 'monitor:protected')).length).toBe(3); // reported once, not on every tick
  });
});

describe("the concept document's idle-time condition", () => {
  it('oj runbook check rejects `oj session idle-time {session} > 5m` (a redirect to a file named 5m) with the --over hint; --over passes', async () => {
    const monitor = (condition: string) => `
[cron.watchdog]
interval = "30s"
monitors = ["agent_idle"]

[monitor.agent_idle]
source = "oj pipeline list --phase execute --json"
condition = "${condition}"
response = ["nudge", "restart:2", "escalate"]
`;
    const root = makeProject(t, 'proj', { watchdog: monitor('oj session idle-time {session} > 5m') });
    const bad = await t.oj(['runbook', 'check'], { cwd: root });
    expect(bad.exitCode).not.toBe(0);
    const out = bad.stdout + bad.stderr;
    expect(out).toMatch(/watchdog\.toml:\d+: monitor\.agent_idle field condition: "> 5m" redirects output to a file named "5m"/);
    expect(out).toMatch(/oj session idle-time \{session\} --over 5m/);
    expect(existsSync(join(root, '5m'))).toBe(false);

    writeFileSync(join(root, '.oj', 'runbooks', 'watchdog.toml'), monitor('oj session idle-time {session} --over 5m'));
    const good = await t.oj(['runbook', 'check'], { cwd: root });
    expect(good.stderr).toBe('');
    expect(good.exitCode).toBe(0);
  });
});

describe('monitors acting on pipelines', () => {
  type Shown = { pipeline: { status: string; phase: string | null; waitingFor: { kind: string; name: string } | null; vars: Record<string, unknown> } };
  const show = (root: string, id: string) => t.ojJson<Shown>(['pipeline', 'show', id], { cwd: root });
  const statusIs = (root: string, id: string, status: string) =>
    waitFor(`${id} ${status}`, async () => ((await show(root, id)).pipeline.status === status ? true : null), 30_000);

  it('escalate has a running pipeline wait for a human under the monitor; once the item recovers the pipeline runs on', async () => {
    const root = makeProject(t, 'proj', {
      m: `
[command.hold]
args = "<name>"
run = { pipeline = "hold" }

[pipeline.hold]
inputs = ["name"]

[[pipeline.hold.phase]]
name = "wait"
run = "while ! test -e go; do sleep 0.1; done"

[cron.c]
interval = "1h"
monitors = ["m"]

[monitor.m]
source = "oj pipeline list --json"
condition = "test -e stuck && test {id} = hold-a"
response = ["escalate"]
`,
    });
    await t.oj(['run', 'hold', 'a'], { cwd: root });
    await statusIs(root, 'hold-a', 'running');
    writeFileSync(join(root, 'stuck'), '');
    await run(root);
    expect(await acts(root)).toEqual(['escalate hold-a']);
    const held = await show(root, 'hold-a');
    expect(held.pipeline).toMatchObject({ status: 'waiting', phase: 'wait', waitingFor: { kind: 'human', name: 'monitor:m' } });
    expect((await t.ojJson<Esc[]>(['escalation', 'list'], { cwd: root })).map((e) => [e.pipeline, e.source])).toEqual([['hold-a', 'monitor:m']]);

    rmSync(join(root, 'stuck'));
    await run(root);
    expect((await evs(root, 'monitor:recovered')).map((e) => [e.data.item, e.data.last])).toEqual([['hold-a', 'escalate']]);
    expect((await show(root, 'hold-a')).pipeline).toMatchObject({ status: 'running', waitingFor: null });
    writeFileSync(join(root, 'go'), '');
    await statusIs(root, 'hold-a', 'done');
  });

  it("rollback resets the item's pipeline's work tree to where its branch started, and never the project checkout", async () => {
    const root = makeProject(
      t,
      'repo',
      {
        m: `
[command.fix]
args = "<name>"
run = { pipeline = "fix" }

[pipeline.fix]
inputs = ["name"]

[[pipeline.fix.phase]]
name = "setup"
run = "git worktree add {workspace} -b {branch}"
next = "work"

[[pipeline.fix.phase]]
name = "work"
run = "cd {workspace} && git commit -q --allow-empty -m extra && false"
on_fail = ["escalate"]

[cron.c]
interval = "1h"
monitors = ["m"]

[monitor.m]
source = "oj pipeline list --json"
condition = "test {status} = escalated"
response = ["rollback"]
`,
      },
      { git: true },
    );
    const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
    const start = git(root, 'rev-parse', 'HEAD');
    await t.oj(['run', 'fix', 'a'], { cwd: root });
    await statusIs(root, 'fix-a', 'escalated');
    const ws = String((await show(root, 'fix-a')).pipeline.vars.workspace);
    expect(git(ws, 'rev-list', '--count', `${start}..HEAD`)).toBe('1');
    await run(root);
    const [rolled] = await evs(root, 'action:rollback');
    expect(rolled?.data).toMatchObject({ item: 'fix-a', pipeline: 'fix-a', ok: 1 });
    expect(String(rolled?.data.detail)).toBe(`rolled ${git(ws, 'rev-parse', '--show-toplevel')} back from ${git(ws, 'rev-parse', 'HEAD@{1}')} to ${start} (branch start)`);
    expect(git(ws, 'rev-parse', 'HEAD')).toBe(start);
    expect(git(root, 'rev-parse', 'HEAD')).toBe(start);
  });
});
