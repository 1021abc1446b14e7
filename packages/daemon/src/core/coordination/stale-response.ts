/**
 * The on_stale (locks) / on_orphan (semaphores) decision point: what a
 * stale hold's steps do, as a list of typed actions. This is the one place
 * that reads those chains (and on_orphan_work); the grant machine carries
 * the actions out. Every step applies, in order (they are complementary:
 * release it, roll back, tell a human):
 *
 * - `release` / `reclaim`: the hold is freed (once). A running phase is
 *   failed first and frees it once its processes are gone, so two holders
 *   never overlap; anyone else loses it at once. Without such a step the
 *   hold stays, marked stale, and the steps do not run again unless the
 *   holder heartbeats and goes silent once more.
 * - `escalate`: a pipeline holder is offered to a human first (its phase is
 *   stopped, then the pipeline waits, escalated: the engine's machine
 *   decides), then the steps run knowing whether it was taken. Taken, the
 *   pipeline keeps its work and its stopped phase frees the hold; its
 *   machine has emitted the escalation. Otherwise an `escalate` event.
 * - `rollback`: an event (the holder's own rollback happens when its phase
 *   fails); `requeue` / `dead`: the holder's work goes back to its queue;
 *   a runbook `[action.x]` runs; anything else is noted as not applicable.
 * - A freed semaphore slot of a holder that is neither running here nor
 *   handed to a human then gets its `on_orphan_work` steps.
 *
 * Each chain is narrowed by core/recovery to its context (`lock.on_stale`,
 * `semaphore.on_orphan`, `semaphore.on_orphan_work`: the table loading checks
 * them against) and switched over exhaustively.
 */
import { actionsIn, builtinStep, hasBuiltin, unreachable, type ActionIn, type BuiltinAction } from '../recovery/index.js';
import type { GrantSettings, HolderKind, OrphanWorkAction, ResourceKind, ResponseStep, StaleCause } from './types.js';

export interface StaleSituation {
  holderKind: HolderKind;
  cause: StaleCause;
  /** A phase this daemon runs holds it. */
  live: boolean;
  /** Whether the holder's pipeline was handed to a human; null: not offered yet. */
  handed: boolean | null;
}

export type StaleAction =
  /** Free the hold now. */
  | { type: 'release' }
  /** Fail the running phase that holds it (its gate frees the hold; if it cannot be failed, free it now). */
  | { type: 'abort' }
  | { type: 'rollback' }
  /** An `escalate` event for a human. */
  | { type: 'escalate' }
  /** Run the runbook action `id`; `announce`: with an `action:<name>` event. */
  | { type: 'action'; id: string; action: string; announce: boolean }
  /** `requeue` / `dead` of the holder's work. */
  | { type: 'orphanWork'; action: OrphanWorkAction }
  | { type: 'notApplicable'; action: BuiltinAction };

export type StaleDecision = { type: 'handOver' } | { type: 'act'; actions: StaleAction[] };

/** The recovery context (core/recovery) a stale hold's chain runs in. */
type StaleContext = 'lock.on_stale' | 'semaphore.on_orphan';
const staleContext = (kind: ResourceKind): StaleContext => (kind === 'lock' ? 'lock.on_stale' : 'semaphore.on_orphan');

/** The steps that apply: the chain, or the built-in take-back when it is empty. */
export function staleSteps(s: Pick<GrantSettings, 'kind' | 'onStale'>): readonly ResponseStep[] {
  return s.onStale.length ? s.onStale : [builtinStep(s.kind === 'lock' ? 'release' : 'reclaim')];
}

export function decideStale(s: Pick<GrantSettings, 'kind' | 'onStale' | 'onOrphanWork'>, x: StaleSituation): StaleDecision {
  const steps = actionsIn(staleContext(s.kind), staleSteps(s));
  // A pipeline whose holder phase is gone has no work left to stop: it is not handed over.
  if (x.handed === null && hasBuiltin(steps, 'escalate') && x.holderKind === 'pipeline' && x.cause !== 'gone') return { type: 'handOver' };
  const handed = x.handed ?? false;
  const actions: StaleAction[] = [];
  let freed = false;
  for (const step of steps) {
    switch (step.kind) {
      case 'runbook':
        actions.push({ type: 'action', id: step.id, action: step.name, announce: true });
        break;
      case 'unsupported':
        actions.push({ type: 'notApplicable', action: step.name });
        break;
      case 'builtin':
        switch (step.name) {
          case 'release':
          case 'reclaim':
            if (freed) break;
            freed = true;
            // Handed to a human, a running phase is stopped by its machine and its gate frees the hold.
            if (handed && x.live) break;
            actions.push(handed || !x.live ? { type: 'release' } : { type: 'abort' });
            break;
          case 'rollback':
            actions.push({ type: 'rollback' });
            break;
          case 'escalate':
            // A pipeline handed to a human has its escalation already (its machine emitted it, with its phase).
            if (!handed) actions.push({ type: 'escalate' });
            break;
          case 'requeue':
          case 'dead':
            actions.push({ type: 'orphanWork', action: step.name });
            break;
          default:
            unreachable(step);
        }
        break;
      default:
        unreachable(step);
    }
  }
  // A live holder is not gone: its phase fails and its own on_fail decides about its work;
  // a pipeline handed to a human keeps its work until the human decides.
  if (freed && s.kind === 'semaphore' && !x.live && !handed) actions.push(...orphanWork(actionsIn('semaphore.on_orphan_work', s.onOrphanWork)));
  return { type: 'act', actions };
}

/** A reclaimed slot's on_orphan_work steps. */
function orphanWork(steps: readonly ActionIn<'semaphore.on_orphan_work'>[]): StaleAction[] {
  return steps.map((step): StaleAction => {
    switch (step.kind) {
      case 'builtin':
        return { type: 'orphanWork', action: step.name };
      case 'runbook':
        return { type: 'action', id: step.id, action: step.name, announce: false };
      case 'unsupported':
        return { type: 'notApplicable', action: step.name };
      default:
        return unreachable(step);
    }
  });
}
