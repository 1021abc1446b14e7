/**
 * Guards as phase steps. A `pre` guard is a gate: the phase waits until its
 * condition passes. A `post` guard is a check after the work: if it does not
 * pass, the phase fails (and its on_fail applies).
 *
 * A failing condition is checked again every `retry.interval`, at most
 * `retry.max` more times, and at once whenever a `wake_on` event happens (a
 * guard with `wake_on` keeps waiting for its events after its retries are
 * used up; one without fails then). `timeout` bounds the whole wait, the
 * running condition included; when it passes, `on_timeout` advances one step
 * (core/recovery's cursor and the actions a guard runs: restart: wait again;
 * a runbook action: run it, then wait again; escalate: hand the phase to a
 * human; abandon: fail the phase).
 */
import type { JsonValue } from '@oj/protocol';
import type { Logger } from 'winston';
import { setLongTimeout } from '../adapters/long-timer.js';
import { PhaseEscalation, PhaseFailure, type PhaseRunContext, type PhaseStep } from '../engine/phase-runner.js';
import type { EventLog } from '../events/event-log.js';
import type { Guard } from '../runbook/model.js';
import type { GuardStage, GuardStore, GuardWaitRow } from '../storage/guard-store.js';
import type { Storage } from '../storage/storage.js';
import { actionIn, escalateData, parseCursor, takeStep, unreachable } from '../core/recovery/index.js';
import { formatMs, runStepShell } from './step-shell.js';

export interface GuardDeps {
  storage: Storage;
  guards: GuardStore;
  events: EventLog;
  logger: Logger;
  now(): number;
  guard(project: string, id: string): Guard | undefined;
  /** True while the daemon stops: waits are kept for the next start. */
  stopping(): boolean;
  /** Runs a runbook `[action.x]` in the phase's context; resolves true on success. */
  runAction(ctx: PhaseRunContext, actionId: string, extra: Record<string, unknown>): Promise<boolean>;
}

export function guardStep(d: GuardDeps, guardId: string, stage: GuardStage): PhaseStep {
  return async (ctx) => {
    await checkGuard(d, ctx, guardId, stage);
  };
}

async function checkGuard(d: GuardDeps, ctx: PhaseRunContext, guardId: string, stage: GuardStage): Promise<void> {
  const guard = d.guard(ctx.record.project, guardId);
  if (!guard) throw new PhaseFailure(`${stage} guard ${guardId} is not defined in the runbooks (any more)`);
  const pipelineId = ctx.record.state.id;
  const key = { pipelineId, phase: ctx.phase.name, guard: guard.id, stage };
  const emit = (name: string, data: Record<string, JsonValue>) =>
    d.events.emit({ name, subject: pipelineId, project: ctx.record.project, data: { guard: guard.name, stage, phase: ctx.phase.name, ...data } });

  let patterns: string[];
  let script: string;
  try {
    patterns = guard.wake_on.map((p) => ctx.text(p));
    script = ctx.shell(guard.condition);
  } catch (err) {
    throw new PhaseFailure(`${stage} guard ${guard.name}: ${(err as Error).message}`);
  }

  // Listen before the first check, so an event that happens during it is not lost.
  let woken = false;
  let wake: (() => void) | null = null;
  const offs = patterns.map((name) =>
    d.events.follow({
      name,
      deliver: () => {
        woken = true;
        wake?.();
      },
    }),
  );
  let wait: GuardWaitRow | undefined = d.guards.get(key);
  const save = (w: GuardWaitRow) => d.storage.write(() => d.guards.upsert(w));
  try {
    for (;;) {
      woken = false;
      const deadline = guard.timeout && wait ? wait.startedAt + guard.timeout.ms : null;
      const timeoutMs = guard.timeout ? Math.max(1000, (deadline ?? d.now() + guard.timeout.ms) - d.now()) : null;
      const r = await runStepShell(ctx, script, { label: `${stage} guard ${guard.name}`, timeoutMs });
      if (r.stopped || ctx.stopped) return stopped(d, key, r.stopped);
      if (r.ok) {
        if (wait) {
          d.storage.write(() => d.guards.delete(key));
          emit('guard:passed', { checks: wait.checks + 1, waitedMs: d.now() - wait.startedAt });
          if (stage === 'post') ctx.running();
        }
        return;
      }
      const now = d.now();
      if (!wait) {
        wait = { ...key, startedAt: now, checks: 0, timeouts: '{}', lastError: null };
        emit('guard:waiting', { error: r.error });
      }
      wait = { ...wait, checks: wait.checks + 1, lastError: r.error };
      save(wait);

      const timedOut = r.timedOut || (guard.timeout !== null && now - wait.startedAt >= guard.timeout.ms);
      if (timedOut) {
        wait = await onTimeout(d, ctx, guard, wait, emit);
        save(wait);
        continue;
      }
      const retriesLeft = wait.checks <= guard.retry.max;
      if (!retriesLeft && patterns.length === 0) {
        d.storage.write(() => d.guards.delete(key));
        const tries = wait.checks === 1 ? '' : ` after ${wait.checks} checks`;
        throw new PhaseFailure(`${stage} guard ${guard.name} failed${tries}: ${r.error}`);
      }
      const next = [
        ...(retriesLeft ? [`re-check in ${formatMs(guard.retry.interval.ms)}`] : []),
        ...(patterns.length ? [`${retriesLeft ? 'or on' : 'waiting for'} ${patterns.join(', ')}`] : []),
      ];
      ctx.waiting({ kind: 'guard', name: guard.name, detail: `condition: ${r.error}; ${next.join(' ')}` });
      if (woken) continue;
      const untilDeadline = guard.timeout ? Math.max(0, wait.startedAt + guard.timeout.ms - d.now()) : null;
      const delay = Math.min(retriesLeft ? guard.retry.interval.ms : Infinity, untilDeadline ?? Infinity);
      const stop = await pause(ctx, delay, (cb) => (wake = cb));
      wake = null;
      if (stop || ctx.stopped) return stopped(d, key, stop);
    }
  } finally {
    for (const off of offs) off();
  }
}

/** The phase stopped while the guard waited: forget the wait, unless the daemon is stopping. */
function stopped(d: GuardDeps, key: { pipelineId: string; phase: string; guard: string; stage: GuardStage }, reason: string | null): never {
  if (!d.stopping()) d.storage.write(() => d.guards.delete(key));
  throw new PhaseFailure(`stopped${reason ? `: ${reason}` : ''}`);
}

/** Resolves with the stop reason if the phase stops, else null after `ms` or when woken. */
function pause(ctx: PhaseRunContext, ms: number, onWake: (cb: () => void) => void): Promise<string | null> {
  return new Promise((resolve) => {
    const done = (v: string | null) => {
      timer.cancel();
      resolve(v);
    };
    const timer = setLongTimeout(() => done(null), ms);
    onWake(() => done(null));
    void ctx.stopSignal.then((reason) => done(reason));
  });
}

async function onTimeout(
  d: GuardDeps,
  ctx: PhaseRunContext,
  guard: Guard,
  wait: GuardWaitRow,
  emit: (name: string, data: Record<string, JsonValue>) => void,
): Promise<GuardWaitRow> {
  const limit = formatMs(guard.timeout?.ms ?? 0);
  const what = `${wait.stage} guard ${guard.name} not met within ${limit}: ${wait.lastError ?? 'failed'}`;
  const fail = (message: string): never => {
    d.storage.write(() => d.guards.delete(wait));
    throw new PhaseFailure(message);
  };
  const taken = takeStep(guard.on_timeout, parseCursor(wait.timeouts));
  if (!taken) return fail(what);
  const { step, cursor } = taken;
  wait = { ...wait, timeouts: JSON.stringify(cursor) };
  emit('guard:timeout', { action: step.text, error: wait.lastError ?? '' });
  d.logger.warn('guard timed out', { pipeline: ctx.record.state.id, guard: guard.id, action: step.text });
  // Like every step, one that lets the guard go on waiting gets one more timeout period.
  const again = (): GuardWaitRow => ({ ...wait, startedAt: d.now(), checks: 0 });
  const action = actionIn('guard.on_timeout', step);
  switch (action.kind) {
    case 'runbook':
      await d.runAction(ctx, action.id, { guard: guard.name });
      return again();
    case 'unsupported':
      // Loading rejects these (core/recovery's table); noted should one get here.
      emit(`action:${action.name}`, { note: 'not applicable to a guard', error: what });
      return again();
    case 'builtin':
      switch (action.name) {
        case 'restart':
          return again();
        case 'escalate':
          d.storage.write(() => {
            d.events.emit({
              name: 'escalate',
              subject: ctx.record.state.id,
              project: ctx.record.project,
              data: escalateData({ source: 'guard', reason: what, pipeline: ctx.record.state.handle, phase: ctx.phase.name, detail: { guard: guard.name } }),
            });
            d.guards.delete(wait);
          });
          throw new PhaseEscalation(what);
        case 'abandon':
          return fail(what);
        default:
          return unreachable(action);
      }
    default:
      return unreachable(action);
  }
}
