/**
 * Carries out what a grant transition asks for, after its commit: wakes
 * callers granted from the line, offers a stale hold's pipeline to a human
 * and steps the machine with the answer, fails running phases (releasing
 * the hold when one cannot be failed), runs runbook actions, hands orphaned
 * work back to its queue, logs. Each effect is on its own: one failing is
 * logged and does not stop the others.
 */
import type { GrantEffect, GrantEvent, ReplyOf } from '../core/coordination/index.js';
import type { ResourceKey } from '../storage/resource-store.js';
import type { CoordinatorDeps, ResourcePolicy } from './coordinator-deps.js';
import type { GrantWaits, LiveHolds } from './holder-registry.js';

export interface GrantEffectDeps {
  d: CoordinatorDeps;
  live: LiveHolds;
  waits: GrantWaits;
  /** Steps the machine again (a hand-over's answer, a release of a hold whose phase cannot be failed). */
  apply<E extends GrantEvent>(key: ResourceKey, e: E): Promise<ReplyOf<E>>;
  /** Called once the effects ran (re-arms the timer). */
  done(): void;
}

export function runGrantEffects(x: GrantEffectDeps, key: ResourceKey, policy: ResourcePolicy, effects: readonly GrantEffect[]): void {
  for (const e of effects) {
    try {
      runOne(x, key, policy, e);
    } catch (err) {
      x.d.logger.error(`${key.kind} ${policy.name}: ${e.type} failed`, { error: String(err) });
    }
  }
  x.done();
}

function runOne(x: GrantEffectDeps, key: ResourceKey, policy: ResourcePolicy, e: GrantEffect): void {
  const { d } = x;
  switch (e.type) {
    case 'wake':
      x.waits.wake(key, e.holder);
      break;
    case 'handOver': {
      const handed = handToHuman(x, key, e.holder, `${key.kind} ${policy.name}: ${e.reason}`);
      later(x, key, policy, e.type, x.apply(key, { type: 'respond', holder: e.holder, holderKind: e.holderKind, cause: e.cause, reason: e.reason, handed, facts: e.facts }));
      break;
    }
    case 'abort': {
      const aborted = x.live.get(key, e.holder)?.abort(e.reason) ?? false;
      if (!aborted && e.orRelease !== null) later(x, key, policy, e.type, x.apply(key, { type: 'release', holder: e.holder, reason: e.orRelease }));
      break;
    }
    case 'runAction':
      d.runAction(key.project, e.action, e.values);
      break;
    case 'orphanWork': {
      const p = d.pipeline(e.holder);
      if (p?.owner && d.orphanWork) d.orphanWork(e.action, p, { semaphore: policy.name, holder: e.holder, reason: e.reason });
      break;
    }
    case 'log':
      d.logger[e.level](e.message, e.fields);
      break;
  }
}

/** A step applied in turn: its failure is logged like an effect's. */
function later(x: GrantEffectDeps, key: ResourceKey, policy: ResourcePolicy, what: string, p: Promise<unknown>): void {
  p.catch((err: unknown) => x.d.logger.error(`${key.kind} ${policy.name}: ${what} failed`, { error: String(err) }));
}

/**
 * Offers a stale hold's pipeline to a human: a running phase through its
 * own hold (its machine stops the run), else through the engine. True when
 * its machine took it.
 */
function handToHuman(x: GrantEffectDeps, key: ResourceKey, holder: string, reason: string): boolean {
  try {
    const live = x.live.get(key, holder);
    const taken = live?.escalate ? live.escalate(reason, key.kind) : (x.d.escalatePipeline?.(holder, reason, key.kind) ?? false);
    if (taken) x.d.logger.warn(`escalated: pipeline ${holder} waits for a human`, { reason });
    return taken;
  } catch (err) {
    x.d.logger.error('pipeline not handed to a human', { pipeline: holder, error: String(err) });
    return false;
  }
}
