import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, migrations } from './migrations.js';
import { QueryRunner, createQueryBuilder } from './query-runner.js';
import { Sqlite } from './sqlite-driver.js';
import { Storage } from './storage.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const definition = (phases: string[]) =>
  JSON.stringify({ runbook: 'rb', name: 'build', inputs: [], defaults: {}, phases: phases.map((name) => ({ name, run: 'true', pre: [], post: [] })), hooks: {} });

describe('schema 19: pipeline definitions in a table of their own', () => {
  it('pipelines of schema 18 keep their definitions; a step no longer rewrites it; deleting a pipeline deletes it', () => {
    dir = mkdtempSync(join(tmpdir(), 'oj-pipeline-definitions-migration-'));
    const path = join(dir, 'old.db');
    const old = new Sqlite(path);
    migrate(new QueryRunner(old), createQueryBuilder(), path, migrations.filter((m) => m.version <= 18));
    const insert = old.prepare(
      `INSERT INTO pipelines (id, handle, project, runbook, name, definition, status, phase, run, created_at, updated_at)
       VALUES (?, ?, '/p', 'rb', 'build', ?, 'running', 'a', 1, ?, ?)`,
    );
    insert.run('one', 'one', definition(['a', 'b']), 1, 1);
    insert.run('two', 'two', definition(['x']), 2, 2);
    old.close();
    const storage = Storage.open(path);
    try {
      const columns = (storage.runner.sqlite.prepare(`SELECT name FROM pragma_table_info('pipelines')`).all() as { name: string }[]).map((c) => c.name);
      expect(columns).not.toContain('definition');
      const one = storage.pipelines.get('one')!;
      expect(one.definition.phases.map((p) => p.name)).toEqual(['a', 'b']);
      expect(storage.pipelines.listInfo({}).map((p) => [p.id, p.phases])).toEqual([
        ['two', ['x']],
        ['one', ['a', 'b']],
      ]);
      storage.write(() => storage.pipelines.save({ ...one, state: { ...one.state, phase: 'b', run: 2, visits: { a: 1, b: 1 } } }));
      expect(storage.pipelines.get('one')).toMatchObject({ state: { phase: 'b', run: 2 }, definition: { phases: [{ name: 'a' }, { name: 'b' }] } });
      storage.write(() => storage.pipelines.delete('two'));
      expect(storage.runner.sqlite.prepare(`SELECT pipeline_id FROM pipeline_definitions ORDER BY pipeline_id`).all()).toEqual([{ pipeline_id: 'one' }]);
    } finally {
      storage.close();
    }
  });
});
