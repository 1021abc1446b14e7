import { describe, expect, it } from 'vitest';
import { held, leadsUntil, stepLease, type Lease } from './leader-lease.js';

const beat = (host: string, ttlMs = 3000) => ({ type: 'beat' as const, host, ttlMs });

describe('leader lease', () => {
  it('the first host to beat takes it (term 1); its beats renew it; another host follows meanwhile', () => {
    const a = stepLease(null, beat('a'), 1000);
    expect(a).toMatchObject({ lease: { host: 'a', term: 1, since: 1000, expiresAt: 4000 }, leads: true });
    expect(a.events).toEqual([{ name: 'cluster:leader', data: { host: 'a', term: 1, previous: null } }]);
    const b = stepLease(a.lease, beat('b'), 2000);
    expect(b.leads).toBe(false);
    expect(b.lease).toBe(a.lease);
    expect(b.events).toEqual([]);
    const renewed = stepLease(a.lease, beat('a'), 3500);
    expect(renewed).toMatchObject({ lease: { host: 'a', term: 1, since: 1000, expiresAt: 6500 }, leads: true, events: [] });
  });

  it('a lease that lapsed (its holder went silent) goes to the next host to beat, with the next term', () => {
    const a = stepLease(null, beat('a'), 1000).lease;
    expect(stepLease(a, beat('b'), 3999).leads).toBe(false);
    const b = stepLease(a, beat('b'), 4000);
    expect(b).toMatchObject({ lease: { host: 'b', term: 2, since: 4000, expiresAt: 7000 }, leads: true });
    expect(b.events).toEqual([{ name: 'cluster:leader', data: { host: 'b', term: 2, previous: 'a', lapsedAt: new Date(4000).toISOString() } }]);
    // The old holder, back, follows.
    expect(stepLease(b.lease, beat('a'), 4500).leads).toBe(false);
  });

  it('a holder that lapsed and beats again before anyone else takes it again, as a new term', () => {
    const a = stepLease(null, beat('a'), 1000).lease;
    const again = stepLease(a, beat('a'), 9000);
    expect(again).toMatchObject({ lease: { host: 'a', term: 2, since: 9000 }, leads: true });
  });

  it('resigning ends the lease at once (the next beat of another host takes it); only the holder can resign', () => {
    const a = stepLease(null, beat('a'), 1000).lease;
    expect(stepLease(a, { type: 'resign', host: 'b' }, 2000)).toMatchObject({ lease: a, leads: false, events: [] });
    const r = stepLease(a, { type: 'resign', host: 'a' }, 2000);
    expect(r.lease).toMatchObject({ host: 'a', expiresAt: 2000 });
    expect(r.events).toEqual([{ name: 'cluster:resigned', data: { host: 'a', term: 1 } }]);
    expect(held(r.lease, 2000)).toBe(false);
    expect(stepLease(r.lease, beat('b'), 2001)).toMatchObject({ lease: { host: 'b', term: 2 }, leads: true });
  });

  it('a leader leads, by its own clock from before it asked, until the lease lapses', () => {
    const lease: Lease = { host: 'a', term: 1, since: 0, expiresAt: 10_000 };
    // Database clock 7000 at renewal, local clock 500 just before asking: 3000 ms left.
    expect(leadsUntil(lease, 7000, 500)).toBe(3500);
  });
});
