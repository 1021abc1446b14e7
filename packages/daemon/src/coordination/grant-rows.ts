/**
 * One lock's or semaphore's rows as the grant machine's state, and back:
 * `load` reads its holds and waiters (in grant and arrival order), `save`
 * writes what a transition changed (rows gone, new rows in order, changed
 * fields). Call both inside the same write.
 */
import type { GrantState, Hold, HoldChange, Waiter } from '../core/coordination/index.js';
import type { HoldRow, ResourceKey, ResourceStore, WaiterRow } from '../storage/resource-store.js';

export interface LoadedGrants {
  state: GrantState;
  holdIds: ReadonlyMap<string, number>;
  waiterIds: ReadonlyMap<string, number>;
}

export function loadGrants(store: ResourceStore, key: ResourceKey): LoadedGrants {
  const holds = store.holds(key);
  const waiters = store.waiters(key);
  return {
    state: { holds: holds.map(toHold), waiters: waiters.map(toWaiter) },
    holdIds: new Map(holds.map((h) => [h.holder, h.id])),
    waiterIds: new Map(waiters.map((w) => [w.holder, w.id])),
  };
}

export function saveGrants(store: ResourceStore, key: ResourceKey, before: LoadedGrants, next: GrantState): void {
  if (next === before.state) return;
  const was = new Map(before.state.holds.map((h) => [h.holder, h]));
  const stays = new Set(next.holds.map((h) => h.holder));
  for (const [holder, id] of before.holdIds) if (!stays.has(holder)) store.deleteHold(id);
  const waits = new Set(next.waiters.map((w) => w.holder));
  for (const [holder, id] of before.waiterIds) if (!waits.has(holder)) store.deleteWaiter(id);
  for (const h of next.holds) {
    const old = was.get(h.holder);
    // The machine's new holds are taken now: acquired and heartbeated at once, not stale.
    if (!old) store.insertHold(key, h, h.acquiredAt);
    else {
      const patch = changed(old, h);
      if (patch) store.updateHold(before.holdIds.get(h.holder)!, patch);
    }
  }
  for (const w of next.waiters) if (!before.waiterIds.has(w.holder)) store.insertWaiter(key, w, w.since);
}

function changed(a: Hold, b: Hold): HoldChange | null {
  const patch: HoldChange = {};
  if (a.heartbeatAt !== b.heartbeatAt) patch.heartbeatAt = b.heartbeatAt;
  if (a.staleAt !== b.staleAt) patch.staleAt = b.staleAt;
  if (a.staleReason !== b.staleReason) patch.staleReason = b.staleReason;
  if (a.phase !== b.phase) patch.phase = b.phase;
  return Object.keys(patch).length ? patch : null;
}

export function toHold(r: HoldRow): Hold {
  return {
    holder: r.holder,
    holderKind: r.holderKind,
    weight: r.weight,
    phase: r.phase,
    acquiredAt: r.acquiredAt,
    heartbeatAt: r.heartbeatAt,
    heartbeatMs: r.heartbeatMs,
    timeoutMs: r.timeoutMs,
    staleAt: r.staleAt,
    staleReason: r.staleReason,
  };
}

function toWaiter(r: WaiterRow): Waiter {
  return { holder: r.holder, holderKind: r.holderKind, weight: r.weight, phase: r.phase, since: r.since };
}
