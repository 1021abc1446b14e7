import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sqlite as BetterSqlite3 } from './sqlite-driver.js';
import { afterEach, describe, expect, it } from 'vitest';
import { Storage } from './storage.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(): { storage: Storage; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'oj-storage-'));
  dirs.push(dir);
  const path = join(dir, 'oj.db');
  return { storage: Storage.open(path), path };
}

describe('group commit', () => {
  it('commits without waiting for the disk and makes everything committed durable with one barrier', () => {
    const { storage } = open();
    expect(storage.runner.sqlite.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(storage.makeDurable()).toBe(false); // opening made the migrations durable
    storage.write(() => storage.events.append({ name: 'a:one' }));
    storage.write(() => storage.events.append({ name: 'a:two' }));
    expect(storage.makeDurable()).toBe(true);
    expect(storage.makeDurable()).toBe(false);
    expect(storage.runner.sqlite.pragma('synchronous', { simple: true })).toBe(1);
    storage.close();
  });

  it('a write that changes nothing needs no barrier; a change made outside write() does', () => {
    const { storage } = open();
    storage.write(() => storage.events.list({ limit: 1 }));
    expect(storage.makeDurable()).toBe(false);
    storage.runner.sqlite.prepare("insert into meta (key, value) values ('k', 'v')").run();
    expect(storage.makeDurable()).toBe(true);
    storage.close();
  });

  it('everything committed is in the file for another connection, and close() leaves nothing behind', () => {
    const { storage, path } = open();
    storage.write(() => storage.events.append({ name: 'b:one' }));
    const reader = new BetterSqlite3(path, { readonly: true });
    expect(reader.prepare("select count(*) as n from events where name = 'b:one'").get()).toEqual({ n: 1 });
    reader.close();
    storage.close();
    const after = new BetterSqlite3(path, { readonly: true });
    expect(after.prepare("select value from meta where key = 'durable_at'").get()).toBeDefined();
    after.close();
  });
});

describe('afterCommit: effects run after the outermost commit, never for a rollback', () => {
  it('a callback registered in a nested write waits for the outermost commit', () => {
    const { storage } = open();
    const ran: string[] = [];
    storage.write(() => {
      storage.write(() => {
        storage.events.append({ name: 'c:inner' });
        storage.afterCommit(() => ran.push('inner'));
      });
      expect(ran).toEqual([]); // the inner write returned, but nothing has committed yet
      storage.afterCommit(() => ran.push('outer'));
    });
    expect(ran).toEqual(['inner', 'outer']);
    storage.close();
  });

  it('an outer write that throws drops the callbacks of the writes it enclosed, and their rows', () => {
    const { storage } = open();
    const ran: string[] = [];
    expect(() =>
      storage.write(() => {
        storage.write(() => {
          storage.events.append({ name: 'c:rolled-back' });
          storage.afterCommit(() => ran.push('inner'));
        });
        throw new Error('outer fails');
      }),
    ).toThrow('outer fails');
    expect(ran).toEqual([]);
    expect(storage.events.list({ limit: 100 }).some((e) => e.name === 'c:rolled-back')).toBe(false);
    // Nothing is left over for the next write to run either.
    storage.write(() => storage.events.append({ name: 'c:next' }));
    expect(ran).toEqual([]);
    storage.close();
  });

  it('a nested write that throws is rolled back alone (a savepoint); the outer write and its callbacks go on', () => {
    const { storage } = open();
    const ran: string[] = [];
    storage.write(() => {
      storage.events.append({ name: 'd:kept' });
      storage.afterCommit(() => ran.push('kept'));
      try {
        storage.write(() => {
          storage.events.append({ name: 'd:dropped' });
          storage.afterCommit(() => ran.push('dropped'));
          throw new Error('inner fails');
        });
      } catch {
        // the caller chooses to go on
      }
    });
    expect(ran).toEqual(['kept']);
    const names = storage.events.list({ limit: 100 }).map((e) => e.name);
    expect(names).toContain('d:kept');
    expect(names).not.toContain('d:dropped');
    storage.close();
  });

  it('outside a write a callback runs at once; a callback that throws does not keep the others from running', () => {
    const { storage } = open();
    const ran: string[] = [];
    storage.afterCommit(() => ran.push('now'));
    expect(ran).toEqual(['now']);
    expect(() =>
      storage.write(() => {
        storage.afterCommit(() => {
          throw new Error('first fails');
        });
        storage.afterCommit(() => ran.push('second'));
      }),
    ).toThrow('first fails');
    expect(ran).toEqual(['now', 'second']);
    storage.close();
  });
});
