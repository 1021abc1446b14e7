import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Storage } from './storage.js';
import { CronStore, type CronRow } from './worker-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(): Storage {
  const dir = mkdtempSync(join(tmpdir(), 'oj-prepared-'));
  dirs.push(dir);
  return Storage.open(join(dir, 'oj.db'));
}

describe('a query built and compiled once', () => {
  it('binds each run its own arguments, by name, where the SQL has them (constants of the query kept)', () => {
    const storage = open();
    const { db, runner } = storage;
    for (const [name, project] of [['a:one', 'p'], ['a:two', 'p'], ['a:one', 'q']] as const) storage.write(() => storage.events.append({ name, project }));
    let builds = 0;
    // The arguments appear in the SQL in another order than the object lists them, around a constant.
    const q = runner.prepared((a: { project: string; name: string }) => {
      builds++;
      return db.selectFrom('events').select('name').where('name', '=', a.name).where('time', '>', 0).where('project', '=', a.project).orderBy('id');
    });
    expect(builds).toBe(0); // built on first use
    expect(q.all({ project: 'p', name: 'a:one' })).toEqual([{ name: 'a:one' }]);
    expect(q.all({ project: 'q', name: 'a:one' })).toEqual([{ name: 'a:one' }]);
    expect(q.first({ project: 'q', name: 'a:two' })).toBeUndefined();
    expect(builds).toBe(1);
    storage.close();
  });

  it('with every key listed, the arguments are a whole row: an upsert inserts, then updates the same row', () => {
    const storage = open();
    const { db, runner } = storage;
    const keys = { a: true, b: true } as const;
    // meta (key, value) as a stand-in for any row written whole
    const upsert = runner.prepared(
      (row: { a: string; b: string }) =>
        db
          .insertInto('meta')
          .values({ key: row.a, value: row.b })
          .onConflict((oc) => oc.column('key').doUpdateSet({ value: row.b })),
      keys,
    );
    upsert.run({ a: 'k', b: 'one' });
    expect(upsert.run({ a: 'k', b: 'two' }).changes).toBe(1);
    expect(runner.sqlite.prepare("select value from meta where key = 'k'").get()).toEqual({ value: 'two' });
    storage.close();
  });

  it("a cron's row saved through the prepared upsert reads back as written, booleans and nulls included", () => {
    const storage = open();
    const crons = new CronStore(storage.database);
    const row: CronRow = {
      project: '/p',
      name: 'tick',
      enabled: 1,
      schedule_key: 'every:1000',
      next_due_at: 5000,
      catch_up_until: null,
      last_run_at: null,
      last_outcome: null,
      last_error: null,
      last_pipeline: null,
      runs: 0,
      changed_at: 1,
    };
    crons.save(row);
    crons.save({ ...row, runs: 1, last_outcome: 'done', next_due_at: 6000 });
    expect(crons.get('/p', 'tick')).toEqual({ ...row, runs: 1, last_outcome: 'done', next_due_at: 6000 });
    expect(crons.get('/p', 'other')).toBeUndefined();
    storage.close();
  });
});
