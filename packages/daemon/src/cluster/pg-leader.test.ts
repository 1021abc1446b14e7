/** The leader leases on a real PostgreSQL (pg-leader.ts): one host leads each project it serves; a lapsed or given-up lease goes to the next host to beat. */
import { describe, expect, it } from 'vitest';
import type { LeadershipChange } from '../storage/shared-store.js';
import type { PgSharedStore } from './pg-shared-store.js';
import { pgStoreKit } from './pg-store.test-kit.js';
import { sameNames } from './project-names.js';

const kit = pgStoreKit('leader');
const skip = kit.skip;

async function hosts(n: number, served: string[]): Promise<{ store: PgSharedStore; heard: LeadershipChange[] }[]> {
  const url = await kit.database('leader');
  const out = [];
  for (let i = 1; i <= n; i++) {
    const heard: LeadershipChange[] = [];
    // A long lease: the beats below are the test's, not the timer's.
    const { store } = await kit.host(url, { hostId: `host-${i}`, names: sameNames(...served), leaseMs: 600_000, prepare: (h) => h.store.leader.onChange((c) => heard.push(c)) });
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
    kit.forget(kit.tracked(a!.store)!);
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
