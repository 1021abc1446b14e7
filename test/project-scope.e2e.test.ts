/** Issue 15 item 11: pipeline ids are looked up within the current project. Real ojd, real oj. */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, migrations } from '../packages/daemon/src/storage/migrations.js';
import { QueryRunner, createQueryBuilder } from '../packages/daemon/src/storage/query-runner.js';
import { Sqlite } from '../packages/daemon/src/storage/sqlite-driver.js';
import { TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';

const BUILD = `
[command.build]
args = "<name> <prompt>"
run = { pipeline = "build" }

[pipeline.build]
inputs = ["name", "prompt"]

[[pipeline.build.phase]]
name = "work"
run = "echo {prompt} > out.txt"
`;

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

describe('pipeline lookups stay in their project', () => {
  it("an id of another project is not found here (the error says where it is); --all-projects looks wider", async () => {
    await t.startDaemon();
    const one = makeProject(t, 'one', { b: BUILD });
    const two = makeProject(t, 'two', { b: BUILD });
    expect((await t.oj(['run', 'build', 'auth', 'first', '--wait'], { cwd: one })).exitCode).toBe(0);
    expect((await t.oj(['run', 'build', 'auth', 'second', '--wait'], { cwd: two })).exitCode).toBe(0);
    const [mine] = await t.ojJson<{ id: string; project: string }[]>(['pipeline', 'list'], { cwd: two });
    expect(mine!.project).toBe(two);

    // In project two, "build-auth" reaches its own pipeline, never project one's.
    const own = await t.ojJson<{ pipeline: { id: string; project: string } }>(['pipeline', 'show', 'build-auth'], { cwd: two });
    expect(own.pipeline).toMatchObject({ id: mine!.id, project: two });
    // An id only project one has is not found from project two: every pipeline command says so, and where it is.
    expect((await t.oj(['run', 'build', 'solo', 'x', '--wait'], { cwd: one })).exitCode).toBe(0);
    for (const args of [['show', 'build-solo'], ['resume', 'build-solo'], ['cancel', 'build-solo'], ['transition', 'build-solo', 'work'], ['wait', 'build-solo', '--timeout', '5s']]) {
      const r = await t.oj(['pipeline', ...args], { cwd: two });
      expect(r.exitCode, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(/pipeline not found: build-solo/);
      expect(r.stderr, args.join(' ')).toContain(`belongs to the project ${one}`);
    }
    // --all-projects reaches project one's pipeline, shown with its project.
    const wide = await t.ojJson<{ pipeline: { id: string; project: string } }>(['pipeline', 'show', 'build-solo', '--all-projects'], { cwd: two });
    expect(wide.pipeline).toMatchObject({ id: 'build-solo', project: one });
  });
});

type Info = { id: string; key: string; name: string; project: string; status: string; vars: Record<string, unknown> };
type Ev = { id: number; name: string; subject: string | null; project: string | null; data: Record<string, unknown> };

const HOOKED = BUILD.replace(
  '[[pipeline.build.phase]]',
  `[pipeline.build.events]
on_complete = "echo {pipeline} $OJ_PIPELINE >> {project_root}/hook.txt"

[[pipeline.build.phase]]`,
);

describe('pipeline ids are numbered per project', () => {
  it("each project's first build auth is build-auth: commands, hooks and events there reach their own; --all-projects tells them apart by key", async () => {
    await t.startDaemon();
    const one = makeProject(t, 'one', { b: HOOKED });
    const two = makeProject(t, 'two', { b: HOOKED });
    const three = makeProject(t, 'three', { b: HOOKED });
    for (const [root, prompt] of [[one, 'first'], [two, 'second'], [three, 'third']] as const) {
      const r = await t.oj(['run', 'build', 'auth', prompt], { cwd: root });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe('build-auth\n');
      expect((await t.oj(['pipeline', 'wait', 'build-auth', '--timeout', '30s'], { cwd: root })).stdout).toBe('build-auth done\n');
    }
    const shownIn = async (root: string) => (await t.ojJson<{ pipeline: Info }>(['pipeline', 'show', 'build-auth'], { cwd: root })).pipeline;
    const infos = await Promise.all([shownIn(one), shownIn(two), shownIn(three)]);
    expect(infos.map((p) => [p.id, p.name, p.project, p.vars.prompt])).toEqual([
      ['build-auth', 'build-auth', one, 'first'],
      ['build-auth', 'build-auth', two, 'second'],
      ['build-auth', 'build-auth', three, 'third'],
    ]);
    // Storage keys stay unique across projects: the first project's is the id itself, the others' name their project.
    const [k1, k2, k3] = [infos[0].key, infos[1].key, infos[2].key];
    expect(k1).toBe('build-auth');
    expect(k2).toMatch(/^build-auth\.two-[0-9a-f]{8}$/);
    expect(k3).toMatch(/^build-auth\.three-[0-9a-f]{8}$/);
    // A second one in a project is build-auth-2 there.
    expect((await t.oj(['run', 'build', 'auth', 'again'], { cwd: two })).stdout).toBe('build-auth-2\n');
    expect((await t.oj(['pipeline', 'wait', 'build-auth-2', '--timeout', '30s'], { cwd: two })).exitCode).toBe(0);

    // Hooks get the id in the project as {pipeline}; $OJ_PIPELINE is the key. Events carry the id in their names, the key as subject.
    expect(readFileSync(join(two, 'hook.txt'), 'utf8').split('\n')[0]).toBe(`build-auth ${k2}`);
    const lines = (await t.oj(['events', '--name', 'pipeline:build-auth:work', '--limit', '50', '--json'], { cwd: two })).stdout.trim().split('\n');
    const events = lines
      .map((l) => JSON.parse(l) as Ev)
      .filter((e) => e.data.phase === 'work')
      .map((e) => [e.subject, e.project])
      .sort();
    expect(events).toEqual([[k1, one], [k2, two], [k3, three]].sort());

    // Every pipeline command in project two reaches two's build-auth.
    expect((await t.oj(['pipeline', 'label', 'build-auth', 'mine'], { cwd: two })).stdout).toMatch(/^build-auth: done/);
    const refused = await t.oj(['pipeline', 'transition', 'build-auth', 'work'], { cwd: two });
    expect(refused.stderr).toMatch(/pipeline build-auth: cannot transition a pipeline that is done/);
    const label = async (root: string) => (await t.ojJson<{ pipeline: { label: string | null } }>(['pipeline', 'show', 'build-auth'], { cwd: root })).pipeline.label;
    expect([await label(one), await label(two), await label(three)]).toEqual([null, 'mine', null]);

    // Across projects: listed by key with their project; a key reaches its pipeline from anywhere with --all-projects.
    const wide = await t.oj(['pipeline', 'list', '--all'], { cwd: one });
    for (const [key, root] of [[k1, one], [k2, two], [k3, three]] as const) expect(wide.stdout).toMatch(new RegExp(`^${key.replace('.', '\\.')}\\s+${root}\\s+build`, 'm'));
    const other = await t.ojJson<{ pipeline: Info }>(['pipeline', 'show', k2, '--all-projects'], { cwd: one });
    expect(other.pipeline).toMatchObject({ id: 'build-auth', key: k2, project: two });
    const human = await t.oj(['pipeline', 'show', k2, '--all-projects'], { cwd: one });
    expect(human.stdout).toContain(`project    ${two}`);
    expect(human.stdout).toContain(`key        ${k2}`);
    const notHere = await t.oj(['pipeline', 'show', k2], { cwd: one });
    expect(notHere.exitCode).not.toBe(0);
    expect(notHere.stderr).toContain(`belongs to the project ${two}`);

    // Once project one's build-auth is pruned, "build-auth" names no key: across projects it is ambiguous, and says which keys to use.
    expect((await t.oj(['pipeline', 'prune'], { cwd: one })).stdout).toBe('pruned 1: build-auth\n');
    const ambiguous = await t.oj(['pipeline', 'show', 'build-auth', '--all-projects'], { cwd: one });
    expect(ambiguous.exitCode).not.toBe(0);
    expect(ambiguous.stderr).toMatch(/ambiguous/);
    expect(ambiguous.stderr).toContain(`${k2} (${two})`);
    expect(ambiguous.stderr).toContain(`${k3} (${three})`);
    // A new build-auth in project one is build-auth-2 there (a number is not handed out twice), under a key of its own.
    expect((await t.oj(['run', 'build', 'auth', 'later'], { cwd: one })).stdout).toBe('build-auth-2\n');
  });

  it('a database from before (schema 11, one numbering for all projects) keeps every pipeline under its id; new ids are per project', async () => {
    // The shape the previous ojd left: global numbering (project two's first build-auth is build-auth-2), counters, runs, events.
    mkdirSync(t.stateDir, { recursive: true, mode: 0o700 });
    const one = makeProject(t, 'one', { b: BUILD });
    const two = makeProject(t, 'two', { b: BUILD });
    const three = makeProject(t, 'three', { b: BUILD });
    const path = join(t.stateDir, 'oj.db');
    const old = new Sqlite(path);
    old.pragma('journal_mode = WAL');
    migrate(new QueryRunner(old), createQueryBuilder(), path, migrations.slice(0, 11));
    const def = JSON.stringify({ runbook: 'b', name: 'build', inputs: ['name', 'prompt'], defaults: {}, phases: [{ name: 'work', run: 'true', pre: [], post: [] }], hooks: {} });
    const add = old.prepare(
      `INSERT INTO pipelines (id, project, runbook, name, definition, status, phase, run, vars, created_at, updated_at, finished_at)
       VALUES (?, ?, 'b', 'build', ?, 'done', 'work', 1, ?, ?, ?, ?)`,
    );
    add.run('build-auth', one, def, JSON.stringify({ name: 'auth', prompt: 'old one' }), 1000, 1000, 1000);
    add.run('build-auth-2', two, def, JSON.stringify({ name: 'auth', prompt: 'old two' }), 2000, 2000, 2000);
    old.prepare(`INSERT INTO pipeline_id_counters (base, last) VALUES ('build-auth', 2)`).run();
    for (const id of ['build-auth', 'build-auth-2']) {
      old.prepare(`INSERT INTO phase_runs (pipeline_id, run, phase, status, exit_code, started_at, finished_at) VALUES (?, 1, 'work', 'done', 0, 1000, 1000)`).run(id);
      old.prepare(`INSERT INTO events (name, subject, project, data, time) VALUES ('pipeline:complete', ?, ?, ?, 1000)`).run(id, id === 'build-auth' ? one : two, JSON.stringify({ pipeline: id }));
    }
    old.close();

    await t.startDaemon();
    // Nothing lost: each pipeline is where it was, under its id, with its runs and history.
    const listed = async (root: string) => (await t.ojJson<Info[]>(['pipeline', 'list'], { cwd: root })).map((p) => [p.id, p.key, p.status, p.vars.prompt]);
    expect(await listed(one)).toEqual([['build-auth', 'build-auth', 'done', 'old one']]);
    expect(await listed(two)).toEqual([['build-auth-2', 'build-auth-2', 'done', 'old two']]);
    const shown = await t.ojJson<{ runs: unknown[]; history: Ev[] }>(['pipeline', 'show', 'build-auth-2'], { cwd: two });
    expect(shown.runs).toHaveLength(1);
    expect(shown.history.map((e) => e.name)).toEqual(['pipeline:complete']);
    // New pipelines: a project new to the base starts at build-auth; the others go on above every number handed out.
    expect((await t.oj(['run', 'build', 'auth', 'new'], { cwd: three })).stdout).toBe('build-auth\n');
    expect((await t.oj(['run', 'build', 'auth', 'new'], { cwd: two })).stdout).toBe('build-auth-3\n');
    expect((await t.oj(['run', 'build', 'auth', 'new'], { cwd: one })).stdout).toBe('build-auth-3\n');
    for (const root of [one, two, three]) {
      await waitFor('the new pipelines to end', async () => (await t.ojJson<Info[]>(['pipeline', 'list', '--status', 'done'], { cwd: root })).length === (root === three ? 1 : 2), 30_000);
    }
    expect((await t.oj(['daemon', 'check'], { cwd: one })).exitCode).toBe(0);
  });
});

describe("a pipeline's name is its handle", () => {
  it("list --json gives name (the unique handle) and kind (the definition); the concept's restart action resumes the right pipeline", async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      b: `
[command.build]
args = "<name>"
run = { pipeline = "build" }

[pipeline.build]
inputs = ["name"]

[[pipeline.build.phase]]
name = "work"
run = "test -f ok-{name}"

[cron.watch]
interval = "1h"
monitors = ["failed"]

[monitor.failed]
source = "oj pipeline list --status failed --json"
condition = "test -f ok-{vars.name}"
action = "oj pipeline resume {name}"
`,
    });
    for (const n of ['a', 'b']) expect((await t.oj(['run', 'build', n, '--wait'], { cwd: root })).exitCode).toBe(1);
    const list = await t.ojJson<{ id: string; name: string; kind: string }[]>(['pipeline', 'list'], { cwd: root });
    expect(list.map((p) => [p.id, p.name, p.kind]).sort()).toEqual([
      ['build-a', 'build-a', 'build'],
      ['build-b', 'build-b', 'build'],
    ]);
    // Only b may go on: the action must resume build-b itself, not "build" (an ambiguous prefix).
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${root}/ok-b`, '');
    expect((await t.oj(['cron', 'run', 'watch'], { cwd: root })).exitCode).toBe(0);
    await waitFor('build-b resumed and done', async () => (await t.ojJson<{ pipeline: { status: string } }>(['pipeline', 'show', 'build-b'], { cwd: root })).pipeline.status === 'done', 30_000);
    const after = await t.ojJson<{ id: string; status: string }[]>(['pipeline', 'list'], { cwd: root });
    expect(Object.fromEntries(after.map((p) => [p.id, p.status]))).toEqual({ 'build-a': 'failed', 'build-b': 'done' });
  });
});
