/**
 * The coordination capability's part of a phase: gates (pre guards, then the
 * semaphore slot, then the lock: the same order in every phase, so two
 * phases never hold one each while waiting for the other's), the work of a
 * strategy phase, and post guards as checks.
 */
import type { PhaseStep } from '../engine/phase-runner.js';
import type { PhaseStepFactory } from '../engine/pipeline-runtime.js';
import type { ResourceKind } from '../storage/resource-store.js';
import { guardStep, type GuardDeps } from './guard-step.js';
import type { ResourceCoordinator } from './resource-coordinator.js';
import { strategyWork, type StrategyDeps } from './strategy-work.js';

export interface CoordinationStepDeps {
  coordinator: ResourceCoordinator;
  guards: GuardDeps;
  strategies: StrategyDeps;
}

export function coordinationSteps(d: CoordinationStepDeps): PhaseStepFactory {
  return {
    gates(phase) {
      const gates: PhaseStep[] = phase.pre.map((id) => guardStep(d.guards, id, 'pre'));
      if (phase.semaphore) gates.push(resourceGate(d.coordinator, 'semaphore', phase.semaphore));
      if (phase.lock) gates.push(resourceGate(d.coordinator, 'lock', phase.lock));
      return gates;
    },
    work(phase) {
      return phase.strategy ? strategyWork(d.strategies, phase.strategy) : null;
    },
    checks(phase) {
      return phase.post.map((id) => guardStep(d.guards, id, 'post'));
    },
  };
}

/**
 * Takes a lock or a semaphore slot for the phase, waiting in line while the
 * pipeline shows "waiting for lock x". Re-entrant: a phase re-run after a
 * restart finds the hold its pipeline still has. The returned release runs
 * on every outcome, written with it (in a cluster through the outbox, as the
 * phase run's release: see ResourceCoordinator.releaseWithOutcome), except
 * while the daemon stops (the hold then carries over to the re-run after
 * the restart: the engine records no outcome then).
 */
export function resourceGate(coord: ResourceCoordinator, kind: ResourceKind, resource: string): PhaseStep {
  return async (ctx) => {
    const key = { kind, project: ctx.record.project, resource };
    const holder = ctx.record.state.id;
    const run = ctx.run;
    coord.claim(key, holder, run);
    const r = await coord.request(key, { holder, holderKind: 'pipeline', weight: 1, phase: ctx.phase.name, run });
    if (!r.granted) {
      ctx.waiting({ kind, name: coord.policyName(key), detail: r.detail });
      const grant = coord.granted(key, holder);
      const stop = await Promise.race([grant.promise.then(() => null), ctx.stopSignal]);
      if (stop !== null) {
        grant.cancel();
        // A newer run of this pipeline may have taken the place over: then it is not ours to give up.
        if (coord.owns(key, holder, run)) {
          const got = await coord.abandonWait(key, holder);
          if (got && !coord.stopping) await coord.release(key, holder, `phase stopped: ${stop}`);
          coord.unclaim(key, holder, run);
        }
        return;
      }
    }
    await coord.attachLive(key, holder, {
      abort: (reason) => {
        if (!ctx.abort) return false;
        ctx.abort(reason);
        return true;
      },
      escalate: (reason, source) => ctx.escalate?.(reason, source) ?? false,
    });
    // With the outcome (its write may be tried again as a whole: this must be too), or at once
    // when the phase hands over to a human. A newer run of the pipeline that took it over keeps it.
    const letGo = (): boolean => {
      if (!coord.owns(key, holder, run)) return false;
      coord.detachLive(key, holder);
      coord.unclaim(key, holder, run);
      return !coord.stopping;
    };
    const reason = () => (ctx.stopped ? 'phase stopped' : 'phase ended');
    return {
      withOutcome: () => {
        if (letGo()) coord.releaseWithOutcome(key, holder, run, reason());
      },
      now: async () => {
        if (letGo()) await coord.release(key, holder, reason());
      },
    };
  };
}
