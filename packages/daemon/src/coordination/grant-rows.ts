/**
 * One lock's or semaphore's rows as the grant machine's state, and back:
 * `loadGrants` reads its holds and waiters (in grant and arrival order),
 * `grantWrites` says what a transition changed (rows gone, new rows in
 * order, changed fields) for the shared store to write in the same
 * transaction.
 */
import type { GrantState, Hold, HoldChange, Waiter } from '../core/coordination/index.js';
import type { HoldRow, WaiterRow } from '../storage/resource-store.js';
import type { ResourceWrite } from '../storage/shared-resources.js';

export interface LoadedGrants {
  state: GrantState;
  holdIds: ReadonlyMap<string, number>;
  waiterIds: ReadonlyMap<string, number>;
}

export function loadGrants(holds: readonly HoldRow[], waiters: readonly WaiterRow[]): LoadedGrants {
  return {
    state: { holds: holds.map(toHold), waiters: waiters.map(toWaiter) },
    holdIds: new Map(holds.map((h) => [h.holder, h.id])),
    waiterIds: new Map(waiters.map((w) => [w.holder, w.id])),
  };
}

export function grantWrites(before: LoadedGrants, next: GrantState): ResourceWrite[] {
  if (next === before.state) return [];
  const out: ResourceWrite[] = [];
  const was = new Map(before.state.holds.map((h) => [h.holder, h]));
  const stays = new Set(next.holds.map((h) => h.holder));
  for (const [holder, id] of before.holdIds) if (!stays.has(holder)) out.push({ type: 'deleteHold', id });
  const waits = new Set(next.waiters.map((w) => w.holder));
  for (const [holder, id] of before.waiterIds) if (!waits.has(holder)) out.push({ type: 'deleteWaiter', id });
  for (const h of next.holds) {
    const old = was.get(h.holder);
    if (!old) out.push({ type: 'insertHold', hold: h });
    else {
      const patch = changed(old, h);
      if (patch) out.push({ type: 'updateHold', id: before.holdIds.get(h.holder)!, patch });
    }
  }
  for (const w of next.waiters) if (!before.waiterIds.has(w.holder)) out.push({ type: 'insertWaiter', waiter: w });
  return out;
}

function changed(a: Hold, b: Hold): HoldChange | null {
  const patch: HoldChange = {};
  if (a.heartbeatAt !== b.heartbeatAt) patch.heartbeatAt = b.heartbeatAt;
  if (a.staleAt !== b.staleAt) patch.staleAt = b.staleAt;
  if (a.staleReason !== b.staleReason) patch.staleReason = b.staleReason;
  if (a.phase !== b.phase) patch.phase = b.phase;
  if (a.run !== b.run) patch.run = b.run;
  return Object.keys(patch).length ? patch : null;
}

export function toHold(r: HoldRow): Hold {
  return {
    holder: r.holder,
    holderKind: r.holderKind,
    weight: r.weight,
    phase: r.phase,
    run: r.run,
    acquiredAt: r.acquiredAt,
    heartbeatAt: r.heartbeatAt,
    heartbeatMs: r.heartbeatMs,
    timeoutMs: r.timeoutMs,
    staleAt: r.staleAt,
    staleReason: r.staleReason,
  };
}

function toWaiter(r: WaiterRow): Waiter {
  return { holder: r.holder, holderKind: r.holderKind, weight: r.weight, phase: r.phase, run: r.run, since: r.since };
}
