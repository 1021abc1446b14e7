import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { intervalSchedule } from '../core/cron/index.js';
import { migrate, migrations } from './migrations.js';
import { QueryRunner, createQueryBuilder } from './query-runner.js';
import { Sqlite } from './sqlite-driver.js';
import { Storage } from './storage.js';
import { CronStore } from './worker-store.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('schema 14: cron schedules', () => {
  it('a cron of schema 13 keeps its due slot and its interval as the schedule key', () => {
    dir = mkdtempSync(join(tmpdir(), 'oj-cron-migration-'));
    const path = join(dir, 'old.db');
    const old = new Sqlite(path);
    migrate(new QueryRunner(old), createQueryBuilder(), path, migrations.filter((m) => m.version <= 13));
    old
      .prepare(
        `INSERT INTO crons (project, name, enabled, interval_ms, next_due_at, last_run_at, last_outcome, last_error, last_pipeline, runs, changed_at)
         VALUES ('/p', 'janitor', 1, 3600000, 7200000, 3600000, 'done', NULL, NULL, 1, 1), ('/p', 'never', 0, 0, NULL, NULL, NULL, NULL, NULL, 0, 1)`,
      )
      .run();
    old.close();
    const storage = Storage.open(path);
    try {
      const crons = new CronStore(storage.database);
      // The key the slot core gives the same interval: the cron resumes its due slot unchanged.
      expect(intervalSchedule(3_600_000, '1h').key).toBe('every 3600000ms');
      expect(crons.get('/p', 'janitor')).toMatchObject({ enabled: 1, schedule_key: 'every 3600000ms', next_due_at: 7_200_000, catch_up_until: null, runs: 1 });
      expect(crons.get('/p', 'never')).toMatchObject({ schedule_key: '', next_due_at: null });
      const columns = (storage.runner.sqlite.prepare('PRAGMA table_info(crons)').all() as { name: string }[]).map((c) => c.name);
      expect(columns).not.toContain('interval_ms');
    } finally {
      storage.close();
    }
  });
});
