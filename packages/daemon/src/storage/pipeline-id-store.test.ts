import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { allocateId, allocateKey, allocateNumber, idWithNumber } from '../core/pipeline-id-numbers.js';
import { newPipelineState } from '../core/pipeline-state.js';
import { migrate, migrations } from './migrations.js';
import { QueryRunner, createQueryBuilder } from './query-runner.js';
import { Sqlite } from './sqlite-driver.js';
import { Storage } from './storage.js';

let dir: string;
let storage: Storage;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oj-pipeline-ids-'));
  storage = Storage.open(join(dir, 'oj.db'));
});
afterEach(() => {
  vi.restoreAllMocks();
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (id: string) =>
  storage.pipelines.insert({
    state: newPipelineState(id, 1000),
    project: '/p',
    runbook: 'rb',
    name: 'work',
    definition: { runbook: 'rb', name: 'work', inputs: [], defaults: {}, phases: [{ name: 'work', run: 'true', pre: [], post: [] }], hooks: {} },
    vars: {},
    workspace: null,
    label: null,
    archived: false,
    owner: null,
  });

/** Allocates one id of `base` (counting the queries it runs and the rows they read), then inserts it. */
function create(base: string): { id: string; queries: number; rows: number } {
  const runner = storage.runner;
  const { all, first, run } = runner;
  let queries = 0;
  let rows = 0;
  runner.all = ((q) => {
    queries++;
    const r = all.call(runner, q);
    rows += r.length;
    return r;
  }) as typeof all;
  runner.first = ((q) => {
    queries++;
    const r = first.call(runner, q);
    if (r !== undefined) rows++;
    return r;
  }) as typeof first;
  runner.run = ((q) => {
    queries++;
    return run.call(runner, q);
  }) as typeof run;
  let id: string;
  try {
    id = storage.write(() => allocateId(base, storage.pipelineIds));
  } finally {
    runner.all = all;
    runner.first = first;
    runner.run = run;
  }
  insert(id);
  return { id, queries, rows };
}

describe('pipeline id allocation (real SQLite)', () => {
  it('takes the same few queries for the 3,000th pipeline of a base as for the 3rd: no trying -2, -3... in turn', () => {
    const made = Array.from({ length: 3000 }, () => create('build-auth'));
    expect(made.slice(0, 3).map((m) => m.id)).toEqual(['build-auth', 'build-auth-2', 'build-auth-3']);
    expect(made[2999]!.id).toBe('build-auth-3000');
    expect(new Set(made.map((m) => m.id)).size).toBe(3000);
    const steady = made.slice(1).map((m) => m.queries);
    // counter read, one free-id check, counter write
    expect(new Set(steady)).toEqual(new Set([3]));
    expect(Math.max(...made.slice(1).map((m) => m.rows))).toBeLessThanOrEqual(1);
  });

  it('a database whose pipelines predate the counters continues after the highest number, reading that base\'s ids once', () => {
    for (const id of ['fix', 'fix-2', 'fix-41', 'fix-41-2', 'fix-9x', 'fixed', 'fix-a']) insert(id);
    const first = create('fix');
    expect(first.id).toBe('fix-42');
    const second = create('fix');
    expect(second.id).toBe('fix-43');
    expect(second.queries).toBe(3);
    expect(second.queries).toBeLessThan(first.queries);
  });

  it('skips an id another base took, and a counter survives a reopen', () => {
    expect(create('build-auth-2').id).toBe('build-auth-2');
    expect(create('build-auth').id).toBe('build-auth');
    expect(create('build-auth').id).toBe('build-auth-3');
    storage.close();
    storage = Storage.open(join(dir, 'oj.db'));
    expect(create('build-auth').id).toBe('build-auth-4');
    expect(create('build-auth-2').id).toBe('build-auth-2-2');
  });
});

describe('pipeline ids per project (schema 12, real SQLite)', () => {
  /** A new pipeline of `base` in `project`, the way the engine makes one: its id there, its key across projects. */
  const make = (project: string, base: string) =>
    storage.write(() => {
      const n = allocateNumber(base, storage.pipelineIds.handles(project));
      const handle = idWithNumber(base, n);
      const key = allocateKey(base, n, `${project.split('/').pop()}-tag`, storage.pipelineIds);
      storage.pipelines.insert({
        state: newPipelineState(key, 1000, handle),
        project,
        runbook: 'rb',
        name: 'build',
        definition: { runbook: 'rb', name: 'build', inputs: [], defaults: {}, phases: [{ name: 'work', run: 'true', pre: [], post: [] }], hooks: {} },
        vars: {},
        workspace: null,
        label: null,
        archived: false,
        owner: null,
      });
      return { handle, key };
    });

  it('each project numbers its own; lookups by id stay in the project, keys reach one pipeline anywhere', () => {
    const one = make('/one', 'build-auth');
    const two = make('/two', 'build-auth');
    expect(one).toEqual({ handle: 'build-auth', key: 'build-auth' });
    expect(two.handle).toBe('build-auth');
    expect(two.key).toBe('build-auth.two-tag');
    expect(make('/two', 'build-auth').handle).toBe('build-auth-2');
    expect(storage.pipelines.inProject('/two', 'build-auth')?.state.id).toBe(two.key);
    expect(storage.pipelines.inProject('/two', two.key)?.state.handle).toBe('build-auth');
    expect(storage.pipelines.inProject('/one', two.key)).toBeUndefined();
    expect(storage.pipelines.handleOf(two.key)).toBe('build-auth');
    // The stored key stays unique; two pipelines of one project never share an id.
    expect(() => storage.write(() => storage.runner.sqlite.prepare("UPDATE pipelines SET handle = 'build-auth' WHERE handle = 'build-auth-2'").run())).toThrow(/UNIQUE/);
  });

  it('a schema 11 database migrates without losing anything: ids stay, numbers go on above every number handed out', () => {
    storage.close();
    const path = join(dir, 'old.db');
    const old = new Sqlite(path);
    migrate(new QueryRunner(old), createQueryBuilder(), path, migrations.slice(0, 11));
    expect(old.pragma('user_version', { simple: true })).toBe(11);
    const def = JSON.stringify({ runbook: 'rb', name: 'build', inputs: [], defaults: {}, phases: [{ name: 'work', run: 'true', pre: [], post: [] }], hooks: {} });
    const add = old.prepare(
      `INSERT INTO pipelines (id, project, runbook, name, definition, status, created_at, updated_at) VALUES (?, ?, 'rb', 'build', ?, 'done', 1, 1)`,
    );
    // Global numbering of old: /one had build-auth, /two then got build-auth-2; fix-3 is a pruned pipeline's neighbour.
    add.run('build-auth', '/one', def);
    add.run('build-auth-2', '/two', def);
    add.run('fix-4', '/two', def);
    old.prepare(`INSERT INTO pipeline_id_counters (base, last) VALUES ('build-auth', 2), ('fix', 4), ('gone', 7)`).run();
    old.prepare(`INSERT INTO phase_runs (pipeline_id, run, phase, status, started_at) VALUES ('build-auth-2', 1, 'work', 'done', 1)`).run();
    old.prepare(`INSERT INTO events (name, subject, project, data, time) VALUES ('pipeline:build-auth-2:work', 'build-auth-2', '/two', '{}', 1)`).run();
    old.close();

    storage = Storage.open(path);
    const rows = storage.runner.sqlite.prepare('SELECT id, handle, project FROM pipelines ORDER BY id').all();
    expect(rows).toEqual([
      { id: 'build-auth', handle: 'build-auth', project: '/one' },
      { id: 'build-auth-2', handle: 'build-auth-2', project: '/two' },
      { id: 'fix-4', handle: 'fix-4', project: '/two' },
    ]);
    expect(storage.pipelines.runs('build-auth-2')).toHaveLength(1);
    expect(storage.events.list({ subject: 'build-auth-2' })).toHaveLength(1);
    // Counters: each project with pipelines of a base goes on above the highest number handed out anywhere.
    const counters = storage.runner.sqlite.prepare('SELECT project, base, last FROM pipeline_handle_counters ORDER BY project, base').all();
    expect(counters).toEqual([
      { project: '/one', base: 'build-auth', last: 2 },
      { project: '/two', base: 'build-auth', last: 2 },
      { project: '/two', base: 'fix', last: 4 },
    ]);
    expect(make('/two', 'build-auth')).toEqual({ handle: 'build-auth-3', key: 'build-auth-3' });
    expect(make('/one', 'build-auth').handle).toBe('build-auth-3');
    expect(make('/two', 'fix').handle).toBe('fix-5');
    // A project new to a base starts at the base itself; its key is qualified where the old numbering used it.
    const three = make('/three', 'build-auth');
    expect(three.handle).toBe('build-auth');
    expect(three.key).toMatch(/^build-auth\.three-/);
    expect(make('/three', 'gone')).toMatchObject({ handle: 'gone' });
    expect(make('/three', 'gone').key).not.toBe('gone-2');
  });
});
