/** Issue: commands and pipelines, end to end with a real ojd and the real oj. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { Rpc } from './helpers/rpc-call.js';
import { PipelineMethods } from '@oj/protocol';

type Pipeline = { id: string; status: string; phase: string | null; error: string | null; workspace: string | null; waitingFor: unknown };
type Shown = { pipeline: Pipeline; runs: { run: number; phase: string; status: string }[] };

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

const BUILD = `
[events]
on_phase_change = "echo file-hook {phase} >> events.log"

# Build a feature through phases.
[command.build]
args = "<name> <prompt>"
run = { pipeline = "build" }

[pipeline.build]
inputs = ["name", "prompt"]

[[pipeline.build.phase]]
name = "plan"
run = "echo 'planning {name}: {prompt}' > plan.txt"

[[pipeline.build.phase]]
name = "execute"
run = "echo executed >> executed.txt"

[[pipeline.build.phase]]
name = "verify"
run = "test $(wc -l < executed.txt) -ge 2"
on_fail = "execute"

[pipeline.build.events]
on_phase = "echo phase {phase} >> events.log"
on_complete = "echo complete {name} >> events.log"
`;

describe('oj run', () => {
  it('runs the build pipeline end to end with --wait, looping verify -> execute until it passes, hooks logging', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { build: BUILD });
    const r = await t.oj(['run', 'build', 'auth', 'Add authentication', '--wait'], { cwd: root });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('build-auth');
    expect(readFileSync(join(root, 'plan.txt'), 'utf8')).toBe('planning auth: Add authentication\n');
    const shown = await t.ojJson<Shown>(['pipeline', 'show', 'build-auth'], { cwd: root });
    expect(shown.pipeline.status).toBe('done');
    expect(shown.runs.map((x) => `${x.phase}:${x.status}`)).toEqual([
      'plan:done',
      'execute:done',
      'verify:failed',
      'execute:done',
      'verify:done',
    ]);
    // Hooks run after each transition; wait for the completion hook's line.
    const log = await waitFor('hooks', () => {
      const text = existsSync(join(root, 'events.log')) ? readFileSync(join(root, 'events.log'), 'utf8') : '';
      return text.includes('complete auth') && text.split('\n').filter((l) => l.startsWith('file-hook')).length === 5 ? text : null;
    });
    const own = log.split('\n').filter((l) => l.startsWith('phase '));
    expect(own).toEqual(['phase plan', 'phase execute', 'phase verify', 'phase execute', 'phase verify']);
  });

  it('a second pipeline with the same input gets a suffixed id; ids accept unique prefixes', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { build: BUILD });
    await t.oj(['run', 'build', 'auth', 'one', '--wait'], { cwd: root });
    const second = await t.oj(['run', 'build', 'auth', 'two'], { cwd: root });
    expect(second.stdout.trim()).toBe('build-auth-2');
    const shown = await t.ojJson<Shown>(['pipeline', 'show', 'build-auth-'], { cwd: root });
    expect(shown.pipeline.id).toBe('build-auth-2');
    const ambiguous = await t.oj(['pipeline', 'show', 'build'], { cwd: root });
    expect(ambiguous.exitCode).toBe(2);
    expect(ambiguous.stderr).toMatch(/ambiguous/);
    const typo = await t.oj(['pipeline', 'show', 'biuld-auth'], { cwd: root });
    expect(typo.stderr).toMatch(/did you mean "build-auth"\?/);
  });

  it('runs a shell command with the caller cwd, streams its output and exits with its code; hostile args stay literal', async () => {
    await t.startDaemon();
    const marker = join(t.root, 'pwned');
    const root = makeProject(t, 'proj', {
      cmds: `
[command.greet]
args = "<who> [--shout]"
run = """
echo "hello {who}"
echo 'single {who}'
echo bare {who}
test "{shout}" = true && echo SHOUT
exit 3
"""
`,
    });
    const hostile = `$(touch ${marker}) \`touch ${marker}\` '; touch ${marker}; ' "quoted"`;
    const r = await t.oj(['run', 'greet', hostile, '--shout'], { cwd: root });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe(`hello ${hostile}\nsingle ${hostile}\nbare ${hostile}\nSHOUT\n`);
    expect(existsSync(marker)).toBe(false);
  });

  it('lists commands with their descriptions, prints usage for bad arguments with exit 2', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { build: BUILD });
    const list = await t.oj(['run'], { cwd: root });
    expect(list.stdout).toMatch(/build\s+build <name> <prompt>/);
    const bad = await t.oj(['run', 'build', 'only-one'], { cwd: root });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/missing required argument <prompt>/);
    expect(bad.stderr).toMatch(/Usage: oj run build <name> <prompt>/);
    const unknown = await t.oj(['run', 'biuld'], { cwd: root });
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stderr).toMatch(/did you mean "build"\?/);
  });
});

describe('the concept document\'s [events] hooks', () => {
  it('on_phase_change = "oj emit pipeline:phase --id {name} --phase {phase}" records one event per phase carrying data.phase', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      hooks: `
[events]
on_phase_change = "oj emit pipeline:phase --id {name} --phase {phase}"
on_complete = "oj emit pipeline:complete --id {name}"

[command.build]
args = "<name>"
run = { pipeline = "build" }

[pipeline.build]
inputs = ["name"]

[[pipeline.build.phase]]
name = "plan"
run = "true"

[[pipeline.build.phase]]
name = "merge"
run = "true"
`,
    });
    const r = await t.oj(['run', 'build', 'auth', '--wait'], { cwd: root });
    expect(r.exitCode).toBe(0);
    type Ev = { name: string; subject: string | null; data: Record<string, unknown> };
    const events = async () =>
      (await t.oj(['events', '--name', 'pipeline:*', '--json'], { cwd: root })).stdout
        .trim()
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Ev);
    // ojd records its own pipeline:phase events (subject: the pipeline id, build-auth); the
    // hook's come from `oj emit` with --id {name}, the input: subject "auth".
    const seen = await waitFor('the hooks\' events', async () => {
      const mine = (await events()).filter((e) => e.subject === 'auth');
      return mine.some((e) => e.name === 'pipeline:complete') && mine.filter((e) => e.name === 'pipeline:phase').length === 2 ? mine : null;
    });
    const phases = seen.filter((e) => e.name === 'pipeline:phase').map((e) => e.data);
    // Hooks run as their transitions commit, not one after another: compare as a set.
    expect(phases.map((d) => d.phase).sort()).toEqual(['merge', 'plan']);
    expect(phases.every((d) => Object.keys(d).join() === 'phase')).toBe(true);
  });
});

const GATED = `
[command.gated]
args = "<name>"
run = { pipeline = "gated" }

[pipeline.gated]
inputs = ["name"]

[[pipeline.gated.phase]]
name = "first"
run = "echo first >> trace"

[[pipeline.gated.phase]]
name = "hold"
run = "echo hold >> trace; while [ ! -f release-{name} ]; do sleep 0.05; done"

[[pipeline.gated.phase]]
name = "last"
run = "echo last >> trace"
`;

describe('steering a live pipeline', () => {
  it('transition, cancel and resume do what they say', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { gated: GATED });
    await t.oj(['run', 'gated', 'a'], { cwd: root });
    await waitFor('hold phase', async () => (await t.oj(['pipeline', 'show', 'gated-a', '--phase'], { cwd: root })).stdout.trim() === 'hold');
    const tr = await t.oj(['pipeline', 'transition', 'gated-a', 'last'], { cwd: root });
    expect(tr.exitCode).toBe(0);
    const w = await t.oj(['pipeline', 'wait', 'gated-a', '--timeout', '20s'], { cwd: root });
    expect(w.exitCode).toBe(0);
    expect(readFileSync(join(root, 'trace'), 'utf8')).toBe('first\nhold\nlast\n');

    await t.oj(['run', 'gated', 'b'], { cwd: root });
    await waitFor('hold phase', async () => (await t.oj(['pipeline', 'show', 'gated-b', '--phase'], { cwd: root })).stdout.trim() === 'hold');
    const c = await t.oj(['pipeline', 'cancel', 'gated-b'], { cwd: root });
    expect(c.stdout).toMatch(/cancelled/);
    const wc = await t.oj(['pipeline', 'wait', 'gated-b'], { cwd: root });
    expect(wc.exitCode).toBe(4);
    const notFound = await t.oj(['pipeline', 'wait', 'nope'], { cwd: root });
    expect(notFound.exitCode).toBe(3);
    const timeout = await t.oj(['run', 'gated', 'c'], { cwd: root });
    expect(timeout.exitCode).toBe(0);
    const wt = await t.oj(['pipeline', 'wait', 'gated-c', '--timeout', '200ms'], { cwd: root });
    expect(wt.exitCode).toBe(124);
    const cant = await t.oj(['pipeline', 'resume', 'gated-c'], { cwd: root });
    expect(cant.exitCode).toBe(1);
    expect(cant.stderr).toMatch(/cannot resume a pipeline that is running/);
    writeFileSync(join(root, 'release-c'), '');
    expect((await t.oj(['pipeline', 'wait', 'gated-c'], { cwd: root })).exitCode).toBe(0);
  });

  it('resume re-runs the failed phase', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      flaky: `
[command.flaky]
run = { pipeline = "flaky" }
[pipeline.flaky]
[[pipeline.flaky.phase]]
name = "try"
run = "test -f ok"
`,
    });
    await t.oj(['run', 'flaky', '--wait'], { cwd: root });
    const failed = await t.ojJson<Shown>(['pipeline', 'show', 'flaky'], { cwd: root });
    expect(failed.pipeline.status).toBe('failed');
    expect(failed.pipeline.error).toMatch(/phase "try" failed: exit code 1/);
    writeFileSync(join(root, 'ok'), '');
    await t.oj(['pipeline', 'resume', 'flaky'], { cwd: root });
    expect((await t.oj(['pipeline', 'wait', 'flaky'], { cwd: root })).exitCode).toBe(0);
  });

  it('trips the circuit breaker on an endless on_fail loop', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      loop: `
[command.loop]
run = { pipeline = "loop" }
[pipeline.loop]
[[pipeline.loop.phase]]
name = "fix"
run = "true"
[[pipeline.loop.phase]]
name = "verify"
run = "false"
on_fail = "fix"
`,
    });
    const r = await t.oj(['run', 'loop', '--wait'], { cwd: root });
    expect(r.exitCode).toBe(1);
    const shown = await t.ojJson<Shown>(['pipeline', 'show', 'loop'], { cwd: root });
    expect(shown.pipeline.error).toMatch(/circuit breaker: phase "fix" entered 6 times \(limit 5\)/);
  });
});

describe('workspaces', () => {
  it('gives a pipeline with a branch its own git worktree and removes it when it succeeds', async () => {
    await t.startDaemon();
    const root = makeProject(
      t,
      'repo',
      {
        ws: `
[command.feature]
args = "<name>"
run = { pipeline = "feature" }
[pipeline.feature]
inputs = ["name"]
defaults = { branch = "feature/{name}" }
[[pipeline.feature.phase]]
name = "work"
run = "git rev-parse --abbrev-ref HEAD > {project_root}/seen-branch; pwd > {project_root}/seen-pwd; test -f .claude/settings.local.json"
`,
      },
      { git: true },
    );
    const r = await t.oj(['run', 'feature', 'login', '--wait'], { cwd: root });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(root, 'seen-branch'), 'utf8').trim()).toBe('feature/login');
    const ws = readFileSync(join(root, 'seen-pwd'), 'utf8').trim();
    expect(ws).toBe(join(t.stateDir, 'workspaces', 'feature-login'));
    await waitFor('worktree removed', () => !existsSync(ws));
  });
});

describe('a repository with no commit', () => {
  it('says to make a first commit, says "waiting for workspace" once, and resumes once there is a commit', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'fresh', {
      ws: `
[command.feature]
args = "<name>"
run = { pipeline = "feature" }
[pipeline.feature]
inputs = ["name"]
defaults = { branch = "feature/{name}" }
[[pipeline.feature.phase]]
name = "work"
run = "git rev-parse --abbrev-ref HEAD > {project_root}/seen-branch"
`,
    });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
    git('init', '-q', '-b', 'main');
    const failed = await t.oj(['run', 'feature', 'login', '--wait'], { cwd: root });
    expect(failed.exitCode).toBe(1);
    const said = failed.stdout + failed.stderr;
    expect(said).toContain(`${root} has no commit yet`);
    expect(said).toContain('make a first commit');
    expect(said).toContain('oj pipeline resume feature-login');
    expect(said).not.toMatch(/fatal|not a valid object name/);

    // The first commit; a post-checkout hook holds the worktree's creation until the test lets it go.
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'first');
    const release = join(t.root, 'release');
    writeFileSync(join(root, '.git', 'hooks', 'post-checkout'), `#!/bin/sh\nwhile [ ! -e '${release}' ]; do sleep 0.05; done\n`, { mode: 0o755 });
    const resumed = await t.oj(['pipeline', 'resume', 'feature-login'], { cwd: root });
    expect(resumed.stderr).toBe('');
    expect(resumed.exitCode).toBe(0);
    const show = await waitFor('the pipeline to wait for its workspace', async () => {
      const r = await t.oj(['pipeline', 'show', 'feature-login'], { cwd: root });
      return r.stdout.includes('waiting') ? r.stdout : null;
    });
    expect(show).toMatch(/feature-login {2}ws\.feature {2}waiting for workspace\n/);
    expect(show).toContain('  waiting    for workspace: creating\n');
    const list = await t.oj(['pipeline', 'list'], { cwd: root });
    expect(list.stdout).toContain('waiting for workspace ');
    expect(list.stdout + show).not.toContain('workspace workspace');
    writeFileSync(release, '');
    const waited = await t.oj(['pipeline', 'wait', 'feature-login'], { cwd: root });
    expect(waited.exitCode).toBe(0);
    expect(readFileSync(join(root, 'seen-branch'), 'utf8').trim()).toBe('feature/login');
  });
});

describe('pipeline helpers for scripts', () => {
  it('label, age, phase-age, failure-count, exists, archive and prune', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { gated: GATED, build: BUILD });
    await t.oj(['run', 'build', 'x', 'y', '--wait'], { cwd: root });
    await t.oj(['run', 'gated', 'p'], { cwd: root });
    await waitFor('hold', async () => (await t.oj(['pipeline', 'show', 'gated-p', '--phase'], { cwd: root })).stdout.trim() === 'hold');
    expect((await t.oj(['pipeline', 'label', 'gated-p', 'urgent'], { cwd: root })).exitCode).toBe(0);
    expect(Number((await t.oj(['pipeline', 'age', 'gated-p'], { cwd: root })).stdout)).toBeGreaterThanOrEqual(0);
    expect((await t.oj(['pipeline', 'phase-age', 'gated-p'], { cwd: root })).stdout).toMatch(/^\d+\n$/);
    expect((await t.oj(['pipeline', 'failure-count', 'build-x'], { cwd: root })).stdout.trim()).toBe('0');
    const ws = join(t.stateDir, 'workspaces', 'gated-p');
    expect((await t.oj(['pipeline', 'exists', '--workspace', ws], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['pipeline', 'exists', '--workspace', '/nowhere'], { cwd: root })).exitCode).toBe(1);
    const active = await t.ojJson<{ id: string; label: string }[]>(['pipeline', 'list', '--active'], { cwd: root });
    expect(active.map((p) => [p.id, p.label])).toEqual([['gated-p', 'urgent']]);
    const refused = await t.oj(['pipeline', 'archive', 'gated-p'], { cwd: root });
    expect(refused.stderr).toMatch(/only finished pipelines are archived/);
    expect((await t.oj(['pipeline', 'archive', 'build-x'], { cwd: root })).exitCode).toBe(0);
    const listed = await t.ojJson<{ id: string }[]>(['pipeline', 'list'], { cwd: root });
    expect(listed.map((p) => p.id)).toEqual(['gated-p']);
    const dry = await t.oj(['pipeline', 'prune', '--dry-run'], { cwd: root });
    expect(dry.stdout).toMatch(/would prune 1: build-x/);
    await t.oj(['pipeline', 'prune'], { cwd: root });
    expect((await t.oj(['pipeline', 'show', 'build-x'], { cwd: root })).exitCode).toBe(3);
    expect(existsSync(join(t.stateDir, 'logs', 'build-x'))).toBe(false);
  });
});

const ONE_PHASE = `
[pipeline.one]
inputs = ["name"]

[[pipeline.one.phase]]
name = "work"
run = "true"
`;

describe('oj pipeline list pages', () => {
  it('shows the newest --limit pipelines with a note on stderr; --limit 0 shows all; bad limits print usage', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { one: ONE_PHASE });
    const rpc = await Rpc.connect(t.socket);
    // Created one after another; the names also sort by age, so newest first is the same whatever the clock's grain.
    const ids: string[] = [];
    try {
      for (let i = 1; i <= 12; i++) {
        const { pipeline } = await rpc.call(PipelineMethods.Create, { project: root, pipeline: 'one', inputs: { name: `n${String(i).padStart(2, '0')}` } });
        ids.push(pipeline.id);
      }
      await rpc.call(PipelineMethods.Wait, { ids, all: true, timeoutMs: 20_000 });
      const done = await rpc.call(PipelineMethods.List, { project: root, status: ['done'], limit: 5 });
      expect([done.pipelines.length, done.total]).toEqual([5, 12]);
    } finally {
      rpc.close();
    }
    const newest = [...ids].reverse();
    const note = 'showing the newest 5 of 12 pipelines; --limit 0 shows all\n';

    // --json (the fast path): stdout is still a plain array, the note goes to stderr.
    const page = await t.oj(['pipeline', 'list', '--limit', '5', '--json'], { cwd: root });
    expect(page.exitCode).toBe(0);
    expect((JSON.parse(page.stdout) as { id: string }[]).map((p) => p.id)).toEqual(newest.slice(0, 5));
    expect(page.stderr).toBe(note);
    // The full CLI (--phase is not on the fast path) says exactly the same.
    const full = await t.oj(['pipeline', 'list', '--phase', 'work', '-n', '5', '--json'], { cwd: root });
    expect([full.exitCode, full.stdout, full.stderr]).toEqual([0, page.stdout, page.stderr]);
    expect((await t.oj(['pipeline', 'ls', '--json', '--limit=5'], { cwd: root })).stdout).toBe(page.stdout);

    // The table: a header and three rows, newest first.
    const table = await t.oj(['pipeline', 'list', '-n', '3'], { cwd: root });
    expect(table.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0])).toEqual(newest.slice(0, 3));
    expect(table.stderr).toBe('showing the newest 3 of 12 pipelines; --limit 0 shows all\n');

    // --limit 0 and the default page (50) hold all 12: no note.
    for (const args of [['--limit', '0'], []]) {
      const all = await t.oj(['pipeline', 'list', ...args, '--json'], { cwd: root });
      expect((JSON.parse(all.stdout) as { id: string }[]).map((p) => p.id)).toEqual(newest);
      expect(all.stderr).toBe('');
    }

    for (const bad of [['--limit', '-1'], ['--limit', 'x'], ['-n', '2.5']]) {
      const r = await t.oj(['pipeline', 'list', ...bad, '--json'], { cwd: root });
      expect(r.exitCode, bad.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^oj pipeline list\n\nList pipelines/);
      expect(r.stderr).toMatch(/-n, --limit/);
      expect(r.stderr).toMatch(/--limit takes a whole number of pipelines, 0 or more/);
    }
  });
});

describe('a command too big to start', () => {
  it('a value over the 128 KiB argument limit fails the phase saying why (E2BIG), in the error and the log', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      big: `
[pipeline.big]
inputs = ["blob"]

[[pipeline.big.phase]]
name = "echo"
run = "echo {blob} | wc -c"
`,
    });
    const rpc = await Rpc.connect(t.socket);
    try {
      await rpc.call(PipelineMethods.Create, { project: root, pipeline: 'big', inputs: { blob: 'b'.repeat(200_000) } });
    } finally {
      rpc.close();
    }
    const id = (await t.ojJson<{ id: string }[]>(['pipeline', 'list'], { cwd: root }))[0]!.id;
    expect((await t.oj(['pipeline', 'wait', id, '--timeout', '60s'], { cwd: root })).exitCode).toBe(1);
    const shown = await t.ojJson<{ pipeline: { error: string } }>(['pipeline', 'show', id], { cwd: root });
    expect(shown.pipeline.error).toMatch(/could not be started: it is \d+ bytes .*128 KiB \(E2BIG\)/);
    expect((await t.oj(['pipeline', 'logs', id], { cwd: root })).stdout).toMatch(/E2BIG/);
  });
});

describe('oj workspace', () => {
  it('creates, lists, shows and deletes worktrees', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'repo', { empty: '' }, { git: true });
    const created = await t.oj(['workspace', 'create', 'spike', '--branch', 'spike/x'], { cwd: root });
    expect(created.exitCode).toBe(0);
    const path = created.stdout.trim();
    expect(path).toBe(join(t.stateDir, 'workspaces', 'spike'));
    expect(existsSync(join(path, 'README'))).toBe(true);
    const list = await t.ojJson<{ name: string; branch: string; managed: boolean }[]>(['workspace', 'list'], { cwd: root });
    expect(list).toEqual([expect.objectContaining({ name: 'spike', branch: 'spike/x', managed: true })]);
    const missing = await t.oj(['workspace', 'show', 'nope'], { cwd: root });
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toMatch(/workspace not found: nope/);
    expect((await t.oj(['workspace', 'delete', 'spike'], { cwd: root })).exitCode).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  it('refuses . and .. as workspace names (they name directories, not worktrees)', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'repo', { empty: '' }, { git: true });
    for (const name of ['.', '..', '...']) {
      const r = await t.oj(['workspace', 'create', name], { cwd: root });
      expect(r.exitCode, name).not.toBe(0);
      expect(r.stderr, name).toMatch(/cannot be only dots/);
    }
    expect(existsSync(join(t.stateDir, 'workspaces', '.git'))).toBe(false);
    expect(await t.ojJson<unknown[]>(['workspace', 'list'], { cwd: root })).toEqual([]);
  });
});

describe('crash recovery', () => {
  it('finishes a pipeline after kill -9 mid-phase with no phase skipped', async () => {
    const d = await t.startDaemon();
    const root = makeProject(t, 'proj', { gated: GATED });
    await t.oj(['run', 'gated', 'k'], { cwd: root });
    await waitFor('hold phase', async () => (await t.oj(['pipeline', 'show', 'gated-k', '--phase'], { cwd: root })).stdout.trim() === 'hold');
    d.kill('SIGKILL');
    await waitFor('ojd to die', () => d.exitCode !== null || d.signalCode !== null);
    writeFileSync(join(root, 'release-k'), '');
    await t.startDaemon();
    expect((await t.oj(['pipeline', 'wait', 'gated-k', '--timeout', '20s'], { cwd: root })).exitCode).toBe(0);
    // hold ran twice (at-least-once: re-run after the crash), nothing skipped.
    expect(readFileSync(join(root, 'trace'), 'utf8')).toBe('first\nhold\nhold\nlast\n');
    const shown = await t.ojJson<Shown>(['pipeline', 'show', 'gated-k'], { cwd: root });
    expect(shown.runs.map((r) => `${r.phase}:${r.status}`)).toEqual(['first:done', 'hold:failed', 'hold:done', 'last:done']);
  });
});
