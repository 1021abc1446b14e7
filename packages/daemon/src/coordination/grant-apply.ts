/**
 * The one way a lock or semaphore changes: in one transaction of the shared
 * store (the daemon's SQLite, or PostgreSQL in a cluster), load its rows
 * under a lock on the resource, step the grant machine (core/coordination),
 * save the new rows and record the events; the effects run after the
 * commit. A request the resource does not allow becomes an illegal-state
 * error and changes nothing.
 */
import { OjError } from '@oj/protocol';
import { GrantRejected, stepGrant, type GrantEffect, type GrantEvent, type HolderFacts, type ReplyOf } from '../core/coordination/index.js';
import type { ResourceKey } from '../storage/resource-store.js';
import type { ResourceDecision, SharedHoldRow, SharedWaiterRow } from '../storage/shared-resources.js';
import type { CoordinatorDeps, ResourcePolicy } from './coordinator-deps.js';
import { grantWrites, loadGrants } from './grant-rows.js';

export type RunEffects = (key: ResourceKey, policy: ResourcePolicy, effects: readonly GrantEffect[]) => void;

/** `event`: the event, or how to make it from the rows as loaded (a sweep's facts, a restart's gone holders). */
export function applyGrant<E extends GrantEvent>(
  d: CoordinatorDeps,
  key: ResourceKey,
  event: E | ((holds: SharedHoldRow[], waiters: SharedWaiterRow[]) => E),
  runEffects: RunEffects,
): Promise<ReplyOf<E>> {
  return d.shared.change(key, (holds, waiters) => grantDecision(d, key, typeof event === 'function' ? event(holds, waiters) : event, runEffects, holds, waiters));
}

/** The grant machine's decision on the rows as loaded, as the shared store writes it. */
export function grantDecision<E extends GrantEvent>(
  d: CoordinatorDeps,
  key: ResourceKey,
  e: E,
  runEffects: RunEffects,
  holds: SharedHoldRow[],
  waiters: SharedWaiterRow[],
): ResourceDecision<ReplyOf<E>> {
  const policy = d.policy(key);
  const loaded = loadGrants(holds, waiters);
  let t;
  try {
    t = stepGrant(loaded.state, policy, e, d.now());
  } catch (err) {
    if (err instanceof GrantRejected) throw OjError.illegalState(err.message, { hint: err.hint });
    throw err;
  }
  const effects = t.effects;
  const granted = effects.flatMap((x) => (x.type === 'wake' ? [x.holder] : []));
  return {
    writes: grantWrites(loaded, t.state),
    result: t.reply,
    granted,
    local: () => {
      for (const r of t.events) {
        d.events.emit({ name: r.name, subject: r.subject, project: key.project, data: { [key.kind]: policy.name, id: key.resource, ...r.data } });
      }
      if (effects.length) d.storage.afterCommit(() => runEffects(key, policy, effects));
    },
  };
}

export type { HolderFacts };
