/**
 * The library runbooks (runbooks/*.toml), adopted as a new user would with
 * `oj init --with <name>`, run end to end against a scratch git repository
 * with the fake agent standing in for `claude` (through .oj/config.toml).
 * Intervals and thresholds are shortened with plain text edits of the
 * adopted files.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actions, events, tick, type Ev } from './helpers/monitor-kit.js';
import { REPO, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { Rpc } from './helpers/rpc-call.js';
import { LockMethods, PipelineMethods, QueueMethods } from '@oj/protocol';

const FAKE = join(REPO, 'scripts', 'fake-agent.mjs');

type Esc = { id: number; pipeline: string | null; session: string | null; source: string; reason: string; status: string; resolution: string | null };
type Pipeline = { id: string; status: string; phase: string | null; failureCount: number; session: string | null };

let t: TestEnv;
let rpc: Rpc | null = null;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  rpc?.close();
  rpc = null;
  await t.cleanup();
});

/** Starts the daemon (the fake agent follows `script`), makes a scratch repo and adopts the library runbooks. */
async function adopt(names: string[], opts: { script?: unknown[]; agentCommand?: string; runbooks?: Record<string, string> } = {}): Promise<{ root: string; rpc: Rpc }> {
  if (opts.script) t.env.FAKE_AGENT_SCRIPT = JSON.stringify(opts.script);
  await t.startDaemon();
  rpc = await Rpc.connect(t.socket);
  const root = makeProject(t, 'proj', opts.runbooks ?? {}, { git: true });
  const init = await t.oj(['init', '--with', ...names], { cwd: root });
  expect(init.exitCode, init.stderr).toBe(0);
  writeFileSync(join(root, '.oj', 'config.toml'), `[agent]\ncommand = ${JSON.stringify(opts.agentCommand ?? `node ${FAKE}`)}\n`);
  const check = await t.oj(['runbook', 'check'], { cwd: root });
  expect(check.exitCode, check.stdout + check.stderr).toBe(0);
  return { root, rpc };
}

/** Text edits of an adopted runbook (each `from` must be there). */
function edit(root: string, name: string, edits: [string, string][]): void {
  const path = join(root, '.oj', 'runbooks', `${name}.toml`);
  let text = readFileSync(path, 'utf8');
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`${name}.toml has no ${from}`);
    text = text.split(from).join(to);
  }
  writeFileSync(path, text);
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
const pipeline = (root: string, id: string) => rpc!.call(PipelineMethods.Show, { id, project: root }).then((r) => r.pipeline);
const openEscalations = (root: string) => t.ojJson<Esc[]>(['escalation', 'list'], { cwd: root });

describe('library runbooks', () => {
  it('all six adopt into one project and pass oj runbook check together', async () => {
    const root = makeProject(t, 'all', {}, { git: true });
    const names = ['build', 'bugfix', 'mergeq', 'watchdog', 'janitor', 'triager'];
    const init = await t.oj(['init', '--with', ...names], { cwd: root });
    expect(init.exitCode, init.stderr).toBe(0);
    for (const n of names) expect(existsSync(join(root, '.oj', 'runbooks', `${n}.toml`))).toBe(true);
    expect(existsSync(join(root, '.oj', 'prompts', 'build-execute.md'))).toBe(true);
    const check = await t.oj(['runbook', 'check'], { cwd: root });
    expect(check.stdout).toMatch(/^ok: 6 runbook file\(s\)/);
    expect(check.exitCode).toBe(0);
  });

  it('watchdog: a silent agent is nudged, restarted twice, then escalated, one step per tick, cooldowns honoured', async () => {
    const { root } = await adopt(['watchdog'], {
      script: [{ print: 'starting' }, { waitInput: 'xyzzy' }],
      runbooks: {
        work: `
[command.work]
args = "<name>"
run = { pipeline = "work" }

[pipeline.work]
inputs = ["name"]

[[pipeline.work.phase]]
name = "think"
agent = "thinker"

[agent.thinker]
prompt = "Think about {name}."
idle_timeout = "1h"
`,
      },
    });
    edit(root, 'watchdog', [
      ['interval = "30s"', 'interval = "1s"'],
      ['--over 5m', '--over 500ms'],
      // Longer than the threshold plus the time a fresh session takes to start, even on a busy machine.
      ['cooldown = "6m"', 'cooldown = "3s"'],
    ]);
    await t.oj(['run', 'work', 'w'], { cwd: root });
    expect((await t.oj(['cron', 'enable', 'watchdog'], { cwd: root })).exitCode).toBe(0);
    await waitFor('the escalation', async () => (await actions(rpc!, root)).includes('escalate work-w'), 60_000, 200);
    await t.oj(['cron', 'disable', 'watchdog'], { cwd: root });

    expect(await actions(rpc!, root)).toEqual(['nudge work-w', 'restart work-w 1/2', 'restart work-w 2/2', 'escalate work-w']);
    // One step per tick, each after the previous step's cooldown.
    const steps = await events(rpc!, root, 'action:*');
    const ticks = (await events(rpc!, root, 'cron:tick')).map((e) => e.id);
    for (let i = 1; i < steps.length; i++) {
      const [a, b] = [steps[i - 1]!, steps[i]!];
      expect(ticks.some((id) => id > a.id && id < b.id)).toBe(true);
      expect(Date.parse(b.time) - Date.parse(a.time)).toBeGreaterThanOrEqual(3000);
    }
    // The steps are in the pipeline's history; the restarts started fresh sessions.
    const shown = await t.ojJson<{ pipeline: Pipeline; history: Ev[] }>(['pipeline', 'show', 'work-w'], { cwd: root });
    expect(shown.history.filter((e) => e.name.startsWith('action:')).map((e) => e.name)).toEqual(['action:nudge', 'action:restart', 'action:restart', 'action:escalate']);
    expect(shown.pipeline).toMatchObject({ status: 'waiting' });
    const sessions = await t.ojJson<{ id: string }[]>(['session', 'list', '--all'], { cwd: root });
    expect(sessions).toHaveLength(3);
    // The on_escalate hook ran; a desktop notification was attempted.
    await waitFor('on_escalate hook', async () => (await events(rpc!, root, 'watchdog:escalate')).length === 1);
    await waitFor('notification attempt', () => readFileSync(join(t.stateDir, 'ojd.log'), 'utf8').includes('escalation notification'));

    // A human sees it and decides.
    const [esc] = await openEscalations(root);
    expect(esc).toMatchObject({ pipeline: 'work-w', source: 'monitor:agent_idle', status: 'open' });
    expect(esc!.reason).toMatch(/agent_idle: work-w still matches after 3 actions/);
    const r = await t.oj(['escalation', 'resolve', String(esc!.id), 'cancel'], { cwd: root });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await openEscalations(root)).toEqual([]);
    expect((await pipeline(root, 'work-w')).status).toBe('cancelled');
  });

  it('janitor: removes a stale lock and an orphaned worktree after a dry run, never a protected path', async () => {
    const { root } = await adopt(['janitor'], {
      runbooks: { deploy: '[lock.deploy]\nheartbeat = "1s"\non_stale = "escalate"\n' },
    });
    const keep = join(t.stateDir, 'workspaces', 'keep-me');
    edit(root, 'janitor', [['protected = [".git", ".oj"]', `protected = [".git", ".oj", ${JSON.stringify(join(t.stateDir, 'workspaces', 'keep-*'))}]`]]);
    expect((await t.oj(['lock', 'acquire', 'deploy', '--holder', 'laptop'], { cwd: root })).exitCode).toBe(0);
    for (const ws of ['drop-me', 'keep-me']) expect((await t.oj(['workspace', 'create', ws], { cwd: root })).exitCode).toBe(0);
    await waitFor('stale lock', async () => (await rpc!.call(LockMethods.IsStale, { project: root, name: 'deploy' })).stale, 10_000, 100);

    const first = await tick(rpc!, root, 'janitor');
    expect(first.lastOutcome, first.lastError ?? '').toBe('done');
    const dry = (await events(rpc!, root, 'monitor:dry-run')).map((e) => [e.data.monitor, e.data.item]);
    expect(dry).toEqual(expect.arrayContaining([['stale_locks', 'deploy.lock.deploy'], ['orphan_worktrees', 'drop-me']]));
    expect((await events(rpc!, root, 'monitor:protected')).map((e) => e.data.item)).toEqual(['keep-me']);
    expect(existsSync(join(t.stateDir, 'workspaces', 'drop-me'))).toBe(true);
    expect((await rpc!.call(LockMethods.IsStale, { project: root, name: 'deploy' })).stale).toBe(true);

    expect((await tick(rpc!, root, 'janitor')).lastOutcome).toBe('done');
    expect(await actions(rpc!, root)).toEqual(expect.arrayContaining(['clean deploy.lock.deploy', 'clean drop-me']));
    const lock = await rpc!.call(LockMethods.Show, { project: root, name: 'deploy' });
    expect(lock.lock.held).toBe(false);
    expect(existsSync(join(t.stateDir, 'workspaces', 'drop-me'))).toBe(false);
    expect(existsSync(keep)).toBe(true);
    expect(git(root, 'worktree', 'list')).toContain(keep);
    await waitFor('on_clean log', () => {
      const log = join(root, '.oj', 'janitor.log');
      return existsSync(log) && readFileSync(log, 'utf8').includes('orphan_worktrees cleaned drop-me');
    });
    expect((await actions(rpc!, root)).filter((a) => a.startsWith('clean')).length).toBe(2);
  });

  it('triager: retries a failed pipeline once and escalates the second failure; redrives dead items under a cap', async () => {
    const { root } = await adopt(['triager'], {
      runbooks: {
        flaky: `
[command.flaky]
args = "<name>"
run = { pipeline = "flaky" }

[pipeline.flaky]
inputs = ["name"]

[[pipeline.flaky.phase]]
name = "try"
run = "echo trying >> tries.log; exit 1"

[queue.jobs]
max_retries = 0
`,
      },
    });
    edit(root, 'triager', [
      ['(( n < 6 ))', '(( n < 2 ))'],
      ['(( n >= 6 ))', '(( n >= 2 ))'],
    ]);
    await t.oj(['run', 'flaky', 'f'], { cwd: root });
    await waitFor('first failure', async () => (await pipeline(root, 'flaky-f')).failureCount === 1, 30_000);
    await tick(rpc!, root, 'triager');
    await waitFor('second failure', async () => (await pipeline(root, 'flaky-f')).failureCount === 2, 30_000);
    await waitFor('escalation', async () => {
      await tick(rpc!, root, 'triager');
      return (await openEscalations(root)).length === 1;
    }, 60_000);
    await tick(rpc!, root, 'triager');
    expect(await actions(rpc!, root)).toEqual(['restart flaky-f', 'escalate flaky-f']);
    expect(readFileSync(join(root, 'tries.log'), 'utf8')).toBe('trying\ntrying\n');
    const [esc] = await openEscalations(root);
    expect(esc).toMatchObject({ pipeline: 'flaky-f', source: 'monitor:repeat_failures', status: 'open' });
    const listed = await t.oj(['escalation', 'list'], { cwd: root });
    expect(listed.stdout).toContain('flaky-f');
    expect((await t.oj(['escalation', 'resolve', String(esc!.id), 'dismiss', '--note', 'known flake'], { cwd: root })).exitCode).toBe(0);
    expect(await openEscalations(root)).toEqual([]);
    await waitFor('on_escalate log', () => existsSync(join(root, '.oj', 'triager.log')) && readFileSync(join(root, '.oj', 'triager.log'), 'utf8').includes('escalated flaky-f'));

    // A dead item is redriven while under the attempt cap, then escalated.
    const dies = async () => {
      expect((await t.oj(['queue', 'take', 'jobs'], { cwd: root })).exitCode).toBe(0);
      expect((await t.oj(['queue', 'fail', 'jobs', 'j1'], { cwd: root })).exitCode).toBe(0);
    };
    await t.oj(['queue', 'add', 'jobs', 'id=j1'], { cwd: root });
    await dies();
    await tick(rpc!, root, 'triager');
    const status = async () => (await rpc!.call(QueueMethods.Show, { project: root, queue: 'jobs', id: 'j1' })).item.status;
    expect(await status()).toBe('pending');
    await dies();
    await tick(rpc!, root, 'triager');
    expect(await status()).toBe('dead');
    expect((await actions(rpc!, root)).slice(2)).toEqual(['clean j1', 'escalate j1']);
  });

  it('build: plan, execute (the fake agent), commit and merge into the root branch', async () => {
    const agent = `sh -c 'echo built >> feature.txt; exec node ${FAKE} "$@"' agent`;
    const { root } = await adopt(['build'], { script: [{ print: 'working' }, { exit: 0 }], agentCommand: agent });
    expect((await t.oj(['worker', 'start', 'builds'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['run', 'build', 'feat', 'Add a feature'], { cwd: root })).exitCode).toBe(0);
    const w = await t.oj(['pipeline', 'wait', 'build-feat', '--timeout', '60s'], { cwd: root, timeout: 70_000 });
    expect(w.exitCode, w.stdout + w.stderr).toBe(0);
    expect(git(root, 'log', '--format=%s', '-1')).toBe('build feat: Add a feature');
    expect(readFileSync(join(root, 'feature.txt'), 'utf8')).toBe('built\nbuilt\n');
    const phases = (await events(rpc!, root, 'pipeline:phase')).map((e) => e.data.phase);
    expect(phases).toEqual(['plan', 'execute', 'commit', 'merge']);
  });

  it('bugfix: a filed bug is fixed by the agent in its worktree, verified and merged', async () => {
    const agent = `sh -c 'echo fixed >> fix.txt; exec node ${FAKE} "$@"' agent`;
    const { root } = await adopt(['bugfix'], { script: [{ print: 'fixing' }, { oj: ['done'] }, { quiet: true }], agentCommand: agent });
    writeFileSync(join(root, '.oj', 'check'), '#!/bin/sh\ngrep -q fixed fix.txt\n', { mode: 0o755 });
    expect((await t.oj(['worker', 'start', 'bugfix'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['run', 'bug', 'BUG-1', 'Crash on start', '-d', 'Run it and it crashes'], { cwd: root })).exitCode).toBe(0);
    const w = await t.oj(['pipeline', 'wait', 'fix-bug-1', '--timeout', '60s'], { cwd: root, timeout: 70_000 });
    expect(w.exitCode, w.stdout + w.stderr).toBe(0);
    expect(git(root, 'log', '--format=%s', '-1')).toBe('fix BUG-1: Crash on start');
    expect(readFileSync(join(root, 'fix.txt'), 'utf8')).toBe('fixed\n');
    const item = await rpc!.call(QueueMethods.Show, { project: root, queue: 'bugs', id: 'BUG-1' });
    expect(item.item.status).toBe('completed');
  });

  it('mergeq: a queued branch is rebased onto the moved root branch, checked and fast-forwarded', async () => {
    const { root } = await adopt(['mergeq']);
    git(root, 'checkout', '-q', '-b', 'feature');
    writeFileSync(join(root, 'a.txt'), 'feature\n');
    git(root, 'add', 'a.txt');
    git(root, 'commit', '-qm', 'feature work');
    git(root, 'checkout', '-q', 'main');
    writeFileSync(join(root, 'b.txt'), 'main moved\n');
    git(root, 'add', 'b.txt');
    git(root, 'commit', '-qm', 'main moved on');
    expect((await t.oj(['worker', 'start', 'mergeq'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['run', 'merge', 'feature'], { cwd: root })).exitCode).toBe(0);
    const w = await t.oj(['pipeline', 'wait', 'land-feature', '--timeout', '60s'], { cwd: root, timeout: 70_000 });
    expect(w.exitCode, w.stdout + w.stderr).toBe(0);
    expect(git(root, 'log', '--format=%s', '-3').split('\n')).toEqual(['feature work', 'main moved on', 'init']);
    expect(existsSync(join(root, 'a.txt'))).toBe(true);
  });
});
