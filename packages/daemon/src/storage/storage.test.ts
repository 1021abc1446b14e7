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
