/** Holds and places in line as the protocol shows them. */
import type { LockMethods } from '@oj/protocol';
import type { HoldRow, WaiterRow } from '../storage/resource-store.js';

export function holderInfo(h: HoldRow & { host?: string | null }, staleness: { stale: boolean; reason: string | null }): LockMethods.HolderInfo {
  return {
    holder: h.holder,
    kind: h.holderKind,
    weight: h.weight,
    phase: h.phase,
    acquiredAt: iso(h.acquiredAt),
    heartbeatAt: iso(h.heartbeatAt),
    stale: staleness.stale,
    staleReason: staleness.reason,
    host: h.host ?? null,
  };
}

export function waiterInfos(waiters: readonly WaiterRow[]): LockMethods.WaiterInfo[] {
  return waiters.map((w, i) => ({
    holder: w.holder,
    kind: w.holderKind,
    weight: w.weight,
    phase: w.phase,
    since: iso(w.since),
    position: i + 1,
  }));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
