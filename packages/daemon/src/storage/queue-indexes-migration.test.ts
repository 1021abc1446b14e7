import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, migrations } from './migrations.js';
import { QueryRunner, createQueryBuilder } from './query-runner.js';
import { QueueStore } from './queue-store.js';
import { Sqlite } from './sqlite-driver.js';
import { Storage } from './storage.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const indexSql = (s: Storage, name: string) => (s.runner.sqlite.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?").get(name) as { sql: string }).sql;

describe('schema 18: queue item indexes of taken and expiring items only', () => {
  it('items of schema 17 keep their state, and the lookups of taken and expiring ones find them through the narrower indexes', () => {
    dir = mkdtempSync(join(tmpdir(), 'oj-queue-index-migration-'));
    const path = join(dir, 'old.db');
    const old = new Sqlite(path);
    migrate(new QueryRunner(old), createQueryBuilder(), path, migrations.filter((m) => m.version <= 17));
    const insert = old.prepare(
      `INSERT INTO queue_items (project, queue, id, data, status, origin, attempts, failures, created_at, updated_at, taken_at, taken_by, worker, visible_at, finished_at, expires_at)
       VALUES ('/p', 'q', ?, '{}', ?, 'added', ?, 0, 1, 1, ?, ?, ?, ?, ?, ?)`,
    );
    insert.run('pending', 'pending', 0, null, null, null, null, null, null);
    insert.run('held', 'taken', 1, 10, 'p-1', 'w', 500, null, null);
    insert.run('late', 'taken', 1, 10, 'p-2', 'w', 100, null, null);
    insert.run('done', 'completed', 1, 10, null, null, null, 20, 9000);
    old.close();
    const storage = Storage.open(path);
    try {
      const items = new QueueStore(storage.database);
      expect(indexSql(storage, 'queue_items_visible')).toMatch(/where "status" = 'taken'/i);
      expect(indexSql(storage, 'queue_items_worker')).toMatch(/where "status" = 'taken'/i);
      expect(indexSql(storage, 'queue_items_expires')).toMatch(/where "expires_at" is not null/i);
      expect(items.overdue(200).map((r) => r.id)).toEqual(['late']);
      expect(items.nextVisibleAt()).toBe(100);
      expect(items.takenByWorker('/p', 'w').map((r) => r.id).sort()).toEqual(['held', 'late']);
      expect(items.countTakenByWorker('/p', 'w')).toBe(2);
      expect(items.allTaken()).toHaveLength(2);
      expect(items.nextExpiry()).toBe(9000);
      expect(items.projectsWithLiveItems()).toEqual(['/p']);
      expect(storage.write(() => items.prune(10_000)).map((g) => g.id)).toEqual(['done']);
    } finally {
      storage.close();
    }
  });
});
