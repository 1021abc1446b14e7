/**
 * The one way a lock or semaphore changes: inside one write (joining the
 * caller's), load its rows, step the grant machine (core/coordination),
 * save the new rows and record the events; the effects run after the
 * outermost commit. A request the resource does not allow becomes an
 * illegal-state error and changes nothing.
 */
import { OjError } from '@oj/protocol';
import { GrantRejected, stepGrant, type GrantEffect, type GrantEvent, type ReplyOf } from '../core/coordination/index.js';
import type { ResourceKey } from '../storage/resource-store.js';
import type { CoordinatorDeps, ResourcePolicy } from './coordinator-deps.js';
import { loadGrants, saveGrants } from './grant-rows.js';

export type RunEffects = (key: ResourceKey, policy: ResourcePolicy, effects: readonly GrantEffect[]) => void;

export function applyGrant<E extends GrantEvent>(d: CoordinatorDeps, key: ResourceKey, e: E, runEffects: RunEffects): ReplyOf<E> {
  return d.storage.write(() => {
    const policy = d.policy(key);
    const loaded = loadGrants(d.store, key);
    let t;
    try {
      t = stepGrant(loaded.state, policy, e, d.now());
    } catch (err) {
      if (err instanceof GrantRejected) throw OjError.illegalState(err.message, { hint: err.hint });
      throw err;
    }
    saveGrants(d.store, key, loaded, t.state);
    for (const r of t.events) {
      d.events.emit({ name: r.name, subject: r.subject, project: key.project, data: { [key.kind]: policy.name, id: key.resource, ...r.data } });
    }
    const effects = t.effects;
    if (effects.length) d.storage.afterCommit(() => runEffects(key, policy, effects));
    return t.reply;
  });
}
