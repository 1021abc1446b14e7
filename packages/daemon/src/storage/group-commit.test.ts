import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Storage } from './storage.js';

const dirs: string[] = [];
const opened: Storage[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(): Storage {
  const dir = mkdtempSync(join(tmpdir(), 'oj-group-commit-'));
  dirs.push(dir);
  const s = Storage.open(join(dir, 'oj.db'));
  opened.push(s);
  return s;
}

const names = (s: Storage) => s.events.list({ limit: 1000 }).map((e) => e.name);

describe('whenDurable: the barrier answers wait for, off the event loop', () => {
  it('is null while everything committed is durable; after a commit it resolves once an fsync of the WAL has run', async () => {
    const s = open();
    expect(s.whenDurable()).toBeNull();
    s.write(() => s.events.append({ name: 'a:one' }));
    const sync = vi.spyOn(s.runner, 'syncWal');
    const first = s.whenDurable();
    expect(first).not.toBeNull();
    await first;
    expect(sync).toHaveBeenCalledTimes(1);
    expect(s.whenDurable()).toBeNull();
  });

  it('commits made while an fsync runs share the next one; waiters are released in the order they asked', async () => {
    const s = open();
    const sync = vi.spyOn(s.runner, 'syncWal');
    const order: string[] = [];
    s.write(() => s.events.append({ name: 'b:1' }));
    const w1 = s.whenDurable()!.then(() => order.push('w1'));
    // The first fsync is under way: these commits wait for the next one, which all of them share.
    s.write(() => s.events.append({ name: 'b:2' }));
    const w2 = s.whenDurable()!.then(() => order.push('w2'));
    s.write(() => s.events.append({ name: 'b:3' }));
    const w3 = s.whenDurable()!.then(() => order.push('w3'));
    await Promise.all([w1, w2, w3]);
    expect(order).toEqual(['w1', 'w2', 'w3']);
    expect(sync).toHaveBeenCalledTimes(2);
  });

  it('a failed fsync rejects its waiters (their answers are not sent); the next barrier tries again', async () => {
    const s = open();
    s.write(() => s.events.append({ name: 'c:1' }));
    const real = s.runner.syncWal.bind(s.runner);
    const sync = vi.spyOn(s.runner, 'syncWal').mockImplementationOnce((done) => done(new Error('EIO: i/o error, fsync')));
    await expect(s.whenDurable()).rejects.toThrow(/EIO/);
    sync.mockImplementation(real);
    await s.whenDurable();
    expect(s.whenDurable()).toBeNull();
  });
});

describe('writeSoon: the writes of one turn share one transaction', () => {
  it('runs every write asked for in the same turn in one transaction; each resolves once it committed, after its callbacks', async () => {
    const s = open();
    const outermost = vi.fn();
    const tx = s.runner.transaction.bind(s.runner);
    vi.spyOn(s.runner, 'transaction').mockImplementation(<T>(fn: () => T): T => {
      if (!s.runner.sqlite.inTransaction) outermost();
      return tx(fn);
    });
    const ran: string[] = [];
    const writes = ['x', 'y', 'z'].map((n) =>
      s.writeSoon(() => {
        s.events.append({ name: `soon:${n}` });
        s.afterCommit(() => ran.push(n));
        return n;
      }),
    );
    expect(names(s)).not.toContain('soon:x'); // not yet: at the end of the turn
    expect(await Promise.all(writes)).toEqual(['x', 'y', 'z']);
    expect(ran).toEqual(['x', 'y', 'z']);
    expect(outermost).toHaveBeenCalledTimes(1);
    expect(names(s)).toEqual(expect.arrayContaining(['soon:x', 'soon:y', 'soon:z']));
  });

  it('one that throws is rolled back alone with its callbacks; the others commit', async () => {
    const s = open();
    const ran: string[] = [];
    const ok = s.writeSoon(() => {
      s.events.append({ name: 'soon:kept' });
      s.afterCommit(() => ran.push('kept'));
    });
    const bad = s.writeSoon(() => {
      s.events.append({ name: 'soon:dropped' });
      s.afterCommit(() => ran.push('dropped'));
      throw new Error('illegal state');
    });
    await expect(bad).rejects.toThrow('illegal state');
    await ok;
    expect(ran).toEqual(['kept']);
    expect(names(s)).toContain('soon:kept');
    expect(names(s)).not.toContain('soon:dropped');
  });

  it('when the whole transaction is rolled back (as SQLite does on a full disk), none of the batch stands and all reject', async () => {
    const s = open();
    const first = s.writeSoon(() => s.events.append({ name: 'soon:first' }));
    const breaker = s.writeSoon(() => s.runner.sqlite.prepare('ROLLBACK').run());
    const third = s.writeSoon(() => s.events.append({ name: 'soon:third' }));
    const results = await Promise.allSettled([first, breaker, third]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(names(s).filter((n) => n.startsWith('soon:'))).toEqual([]);
  });

  it('inside a write it joins that write at once', () => {
    const s = open();
    let inner: Promise<string> | null = null;
    s.write(() => {
      inner = s.writeSoon(() => {
        s.events.append({ name: 'soon:joined' });
        return 'joined';
      });
      expect(names(s)).toContain('soon:joined');
    });
    return expect(inner).resolves.toBe('joined');
  });

  it('while an fsync is under way, writes run at once in a transaction left open that commits when the fsync ends', async () => {
    const s = open();
    const pendingSyncs: ((err: Error | null) => void)[] = [];
    const real = s.runner.syncWal.bind(s.runner);
    vi.spyOn(s.runner, 'syncWal').mockImplementation((done) => pendingSyncs.push((err) => real(() => done(err))));
    s.write(() => s.events.append({ name: 'open:first' }));
    const durable = s.whenDurable()!;
    expect(pendingSyncs).toHaveLength(1); // the fsync is under way
    const settled: string[] = [];
    const a = s.writeSoon(() => s.events.append({ name: 'open:a' })).then(() => settled.push('a'));
    await new Promise((r) => setImmediate(r));
    // Run already (in the open transaction, visible to this connection), not committed: nothing settled.
    expect(s.runner.sqlite.inTransaction).toBe(true);
    expect(names(s)).toContain('open:a');
    const b = s.writeSoon(() => {
      s.events.append({ name: 'open:b' });
      throw new Error('b fails');
    });
    await new Promise((r) => setImmediate(r));
    expect(settled).toEqual([]);
    pendingSyncs.shift()!(null); // the fsync ends: the open transaction commits, the next fsync starts
    await durable;
    await a;
    await expect(b).rejects.toThrow('b fails');
    expect(settled).toEqual(['a']);
    expect(s.runner.sqlite.inTransaction).toBe(false);
    expect(names(s)).toContain('open:a');
    expect(names(s)).not.toContain('open:b');
    expect(pendingSyncs).toHaveLength(1);
    pendingSyncs.shift()!(null);
  });

  it('a batch of quiet writes (nothing waits for them to be durable) starts no fsync; one other write in it does', async () => {
    const s = open();
    const syncWal = vi.spyOn(s.runner, 'syncWal');
    await Promise.all([s.writeSoon(() => s.events.append({ name: 'quiet:a' }), { quiet: true }), s.writeSoon(() => s.events.append({ name: 'quiet:b' }), { quiet: true })]);
    await s.writeSoon(() => s.events.append({ name: 'quiet:alone' }), { quiet: true });
    expect(syncWal).not.toHaveBeenCalled();
    expect(names(s)).toEqual(expect.arrayContaining(['quiet:a', 'quiet:b', 'quiet:alone']));
    // Not durable yet: the next answer's barrier (or the timer) makes it so.
    const durable = s.whenDurable();
    expect(durable).not.toBeNull();
    await durable;
    expect(syncWal).toHaveBeenCalledTimes(1);
    await Promise.all([s.writeSoon(() => s.events.append({ name: 'quiet:c' }), { quiet: true }), s.writeSoon(() => s.events.append({ name: 'answered' }))]);
    expect(syncWal).toHaveBeenCalledTimes(2);
  });

  it('a write of its own while the transaction is open commits that one first', async () => {
    const s = open();
    const pendingSyncs: ((err: Error | null) => void)[] = [];
    vi.spyOn(s.runner, 'syncWal').mockImplementation((done) => pendingSyncs.push(done));
    s.write(() => s.events.append({ name: 'own:first' }));
    void s.whenDurable();
    const soon = s.writeSoon(() => s.events.append({ name: 'own:soon' }));
    await new Promise((r) => setImmediate(r));
    expect(s.runner.sqlite.inTransaction).toBe(true);
    s.write(() => s.events.append({ name: 'own:sync' }));
    expect(s.runner.sqlite.inTransaction).toBe(false);
    await soon; // settled with the commit the write made
    const ids = s.events.list({ limit: 100 }).filter((e) => e.name.startsWith('own:')).map((e) => e.name);
    expect(ids).toEqual(['own:first', 'own:soon', 'own:sync']);
    for (const done of pendingSyncs.splice(0)) done(null);
  });
});
