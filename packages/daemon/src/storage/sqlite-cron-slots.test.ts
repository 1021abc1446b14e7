/** Cron slot claims of a daemon on its own (SQLite): in order, one row per cron however often it runs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteSharedStore } from './sqlite-shared-store.js';
import { Storage } from './storage.js';

let dir: string;
let storage: Storage;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oj-slots-'));
  storage = Storage.open(join(dir, 'oj.db'));
});
afterEach(() => {
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const rows = () => storage.runner.sqlite.prepare('select project, cron, slot_at from cron_slots order by project, cron').all();

describe('cron slot claims on SQLite', () => {
  it('a slot is claimed once, each newer slot once, and only the newest claimed slot of a cron is kept', async () => {
    const { crons } = new SqliteSharedStore(storage, 'host');
    for (let slot = 1000; slot <= 100_000; slot += 1000) expect(await crons.claimSlot('/p', 'tick', slot, slot)).toBe(true);
    expect(await crons.claimSlot('/p', 'tick', 100_000, 100_001)).toBe(false); // a repeat
    expect(await crons.claimSlot('/p', 'tick', 50_000, 100_002)).toBe(false); // an older slot: claimed long ago
    expect(await crons.claimSlot('/p', 'other', 1000, 100_003)).toBe(true);
    // Before: every slot of the last week stayed (a 1 s cron: 604,800 rows), pruned by a scan of the table on every claim.
    expect(rows()).toEqual([
      { project: '/p', cron: 'other', slot_at: 1000 },
      { project: '/p', cron: 'tick', slot_at: 100_000 },
    ]);
  });

  it('inside a write the claim joins it: rolled back with it, it was never made', () => {
    const { crons } = new SqliteSharedStore(storage, 'host');
    expect(() =>
      storage.write(() => {
        expect(crons.claimSlotNow('/p', 'tick', 5000, 5000)).toBe(true);
        throw new Error('the step failed');
      }),
    ).toThrow('the step failed');
    expect(rows()).toEqual([]);
    expect(storage.write(() => crons.claimSlotNow('/p', 'tick', 5000, 5001))).toBe(true);
  });
});
