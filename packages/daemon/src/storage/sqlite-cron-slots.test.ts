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

const mine = (m: boolean) => m;
const rows = () => storage.runner.sqlite.prepare('select project, cron, slot_at from cron_slots order by project, cron').all();

describe('cron slot claims on SQLite', () => {
  it('a slot is claimed once, each newer slot once, and only the newest claimed slot of a cron is kept', async () => {
    const { crons } = new SqliteSharedStore(storage, 'host');
    for (let slot = 1000; slot <= 100_000; slot += 1000) expect(await crons.claimSlot('/p', 'tick', slot, slot, mine)).toBe(true);
    expect(await crons.claimSlot('/p', 'tick', 100_000, 100_001, mine)).toBe(false); // a repeat
    expect(await crons.claimSlot('/p', 'tick', 50_000, 100_002, mine)).toBe(false); // an older slot: claimed long ago
    expect(await crons.claimSlot('/p', 'other', 1000, 100_003, mine)).toBe(true);
    // Before: every slot of the last week stayed (a 1 s cron: 604,800 rows), pruned by a scan of the table on every claim.
    expect(rows()).toEqual([
      { project: '/p', cron: 'other', slot_at: 1000 },
      { project: '/p', cron: 'tick', slot_at: 100_000 },
    ]);
  });

  it('the step joins the claim: a step that throws rolls the claim back, it was never made', async () => {
    const { crons } = new SqliteSharedStore(storage, 'host');
    await expect(
      crons.claimSlot('/p', 'tick', 5000, 5000, (m) => {
        expect(m).toBe(true);
        throw new Error('the step failed');
      }),
    ).rejects.toThrow('the step failed');
    expect(rows()).toEqual([]);
    expect(await crons.claimSlot('/p', 'tick', 5000, 5001, mine)).toBe(true);
  });
});
