/** The leader leases on a real PostgreSQL (pg-leader.ts): one host leads each project it serves; a lapsed or given-up lease goes to the next host to beat. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PgServer, skipWithoutPg } from '../../../../test/pg/pg-server.js';
import type { LeadershipChange } from '../storage/shared-store.js';
import { Storage } from '../storage/storage.js';
import { PgSharedStore } from './pg-shared-store.js';
import { sameNames } from './project-names.js';

const logger = winston.createLogger({ silent: true });
const skip = skipWithoutPg();
let server: PgServer | null = null;
const dirs: string[] = [];
const open: { store: PgSharedStore; storage: Storage }[] = [];

afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.store.close();
    h.storage.close();
  }
});
afterAll(() => {
  server?.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function hosts(n: number, served: string[]): Promise<{ store: PgSharedStore; heard: LeadershipChange[] }[]> {
  server ??= PgServer.start();
  const url = await server.createDatabase('leader');
  const out = [];
  for (let i = 1; i <= n; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'oj-leader-'));
    dirs.push(dir);
    const storage = Storage.open(join(dir, 'state.db'));
    // A long lease: the beats below are the test's, not the timer's.
    const store = await PgSharedStore.open({ url, hostId: `host-${i}`, storage, names: sameNames(...served), logger, leaseMs: 600_000 });
    const heard: LeadershipChange[] = [];
    store.leader.onChange((c) => heard.push(c));
    await store.start();
    open.push({ store, storage });
    out.push({ store, heard });
  }
  return out;
}

describe.skipIf(skip)('leader leases on PostgreSQL', () => {
  it('the first host to beat leads each project it serves; the others follow; status shows the lease', async () => {
    const [a, b] = await hosts(2, ['/p', '/q']);
    for (const p of ['/p', '/q']) {
      expect(a!.store.leader.leads(p)).toBe(true);
      expect(b!.store.leader.leads(p)).toBe(false);
    }
    await b!.store.leader.beat();
    expect(b!.store.leader.leadsAny()).toBe(false);
    expect(a!.heard.map((c) => [c.project, c.leads, c.events.map((e) => e.name)])).toEqual([
      ['/p', true, ['cluster:leader']],
      ['/q', true, ['cluster:leader']],
    ]);
    expect(b!.heard).toEqual([]);
    const info = await b!.store.leader.info();
    expect(info.map((l) => [l.project, l.host, l.term, l.held])).toEqual([
      ['/p', 'host-1', 1, true],
      ['/q', 'host-1', 1, true],
    ]);
  });

  it('a lease that lapsed goes to the next host to beat (the next term); the old holder, beating again, follows', async () => {
    const [a, b] = await hosts(2, ['/p']);
    // As if host-1 had stopped beating long ago.
    await a!.store.db.updateTable('leases').set({ expires_at: 0 }).execute();
    await b!.store.leader.beat();
    expect(b!.store.leader.leads('/p')).toBe(true);
    expect(b!.heard[0]).toMatchObject({ project: '/p', leads: true, events: [{ name: 'cluster:leader', data: { host: 'host-2', term: 2, previous: 'host-1', project: '/p' } }] });
    await a!.store.leader.beat();
    expect(a!.store.leader.leads('/p')).toBe(false);
    expect(a!.heard.at(-1)).toMatchObject({ project: '/p', leads: false });
  });

  it('a host that stops gives its leases up: the next host to beat takes them at once', async () => {
    const [a, b] = await hosts(2, ['/p']);
    expect(a!.store.leader.leads('/p')).toBe(true);
    await a!.store.close();
    open.splice(open.findIndex((h) => h.store === a!.store), 1);
    await b!.store.leader.beat();
    expect(b!.store.leader.leads('/p')).toBe(true);
    expect((await b!.store.leader.info())[0]).toMatchObject({ host: 'host-2', term: 2, held: true });
  });

  it('a host leads only the projects it serves', async () => {
    const [a] = await hosts(1, []);
    expect(a!.store.leader.leadsAny()).toBe(false);
    expect(await a!.store.leader.info()).toEqual([]);
  });
});
