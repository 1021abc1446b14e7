/**
 * A leader lease (pure). In a cluster one host at a time leads each
 * project (the shell keeps one lease per project: its sweeps follow its
 * runbooks, which only the hosts serving it have) and runs its sweeps
 * (visibility timeouts, hosts gone silent, stale holds of other hosts,
 * retention). A lease is one row with a term and an expiry; the holder
 * renews it with its heartbeat; once it lapses (its holder died, or lost
 * the database) the next host to beat takes it with the next term. Times
 * are the database's clock, the one clock every host reads alike.
 *
 * (lease, event, now) -> lease to store, whether the event's host leads,
 * and the events to record. The shell loads the row under a lock, calls
 * `stepLease`, writes the result in the same transaction.
 */
import type { JsonValue } from '@oj/protocol';

export interface Lease {
  host: string;
  /** Grows by one with every new holder: a term names one leadership. */
  term: number;
  /** When this holder took it. */
  since: number;
  /** Past this the lease has lapsed: any host may take it. */
  expiresAt: number;
}

export type LeaseEvent =
  /** A host's heartbeat: it renews the lease it holds, or takes one that lapsed (or that nobody ever held). */
  | { type: 'beat'; host: string; ttlMs: number }
  /** A host stops: it gives up the lease it holds, so the next one need not wait for it to lapse. */
  | { type: 'resign'; host: string };

export interface LeaseRecord {
  name: 'cluster:leader' | 'cluster:resigned';
  data: Record<string, JsonValue>;
}

export interface LeaseTransition {
  /** The lease to store; the same object when nothing changes (null: none was ever taken). */
  lease: Lease | null;
  /** Whether the event's host leads now. */
  leads: boolean;
  events: LeaseRecord[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Whether the lease is held (not lapsed) at `now`. */
export function held(lease: Lease | null, now: number): boolean {
  return lease !== null && lease.expiresAt > now;
}

export function stepLease(lease: Lease | null, e: LeaseEvent, now: number): LeaseTransition {
  switch (e.type) {
    case 'beat': {
      if (lease && held(lease, now)) {
        if (lease.host !== e.host) return { lease, leads: false, events: [] };
        return { lease: { ...lease, expiresAt: now + e.ttlMs }, leads: true, events: [] };
      }
      const next: Lease = { host: e.host, term: (lease?.term ?? 0) + 1, since: now, expiresAt: now + e.ttlMs };
      const previous: Record<string, JsonValue> = lease ? { previous: lease.host, lapsedAt: iso(lease.expiresAt) } : { previous: null };
      return { lease: next, leads: true, events: [{ name: 'cluster:leader', data: { host: e.host, term: next.term, ...previous } }] };
    }
    case 'resign':
      if (!lease || !held(lease, now) || lease.host !== e.host) return { lease, leads: false, events: [] };
      return { lease: { ...lease, expiresAt: now }, leads: false, events: [{ name: 'cluster:resigned', data: { host: e.host, term: lease.term } }] };
  }
}

/**
 * Until when, by the host's own clock, it may act as the leader after a
 * renewal: `localBefore` is its clock just before it asked (the database
 * read `dbNow` later), so this is never past the moment the lease lapses in
 * the database's time. A leader that cannot renew (the database is away)
 * stops leading by then, before another host may take over.
 */
export function leadsUntil(lease: Lease, dbNow: number, localBefore: number): number {
  return localBefore + (lease.expiresAt - dbNow);
}
