/**
 * Where a monitor's response chain goes next for one item, as pure
 * functions of the item's stored progress and the clock:
 *
 * - a matching item takes at most one step per tick: the step it is on,
 *   until that step's allowance (`restart:2`, or the action's max_attempts)
 *   is used up, then the next;
 * - after a step the item waits for that action's cooldown: no step, and no
 *   giving up on the chain, before it ends (the cooldown is the time the
 *   action is given to work: an echoed nudge or a fresh session may make the
 *   item look fine for a while);
 * - an item that is clear (not matching, or no longer listed) on a tick
 *   after its cooldown has recovered: its chain starts over.
 *
 * The walk itself (allowances, moving on, exhaustion) is core/recovery's
 * cursor; this adds the cooldowns.
 */
import { exhausted, allowance as stepAllowance, peekStep, skipStep } from '../recovery/index.js';

export interface StepSpec {
  /** The action name (`nudge`, `restart`, a runbook action). */
  action: string;
  /** How many times this step may run before the chain moves on. */
  allowance: number;
  cooldownMs: number;
}

export interface Progress {
  step: number;
  used: number;
  settleUntil: number | null;
  exhausted: boolean;
}

export const FRESH: Progress = { step: 0, used: 0, settleUntil: null, exhausted: false };

/** Step allowance: `:N` and the action's `max_attempts`, the smaller when both are set; else once. */
export function allowance(stepMax: number | null, maxAttempts: number | null): number {
  return stepAllowance(stepMax, maxAttempts);
}

export type Decision =
  | { kind: 'act'; step: number; action: string; attempt: number; of: number }
  | { kind: 'wait'; until: number }
  | { kind: 'exhausted' };

/** What a matching item does on this tick. */
export function decide(steps: readonly StepSpec[], p: Progress, now: number): Decision {
  if (p.settleUntil !== null && now < p.settleUntil) return { kind: 'wait', until: p.settleUntil };
  const next = peekStep(counted(steps), { step: p.step, used: p.used });
  if (!next) return { kind: 'exhausted' };
  return { kind: 'act', step: next.index, action: next.step.action, attempt: next.attempt, of: next.of };
}

/** The steps as the cursor counts them: each may be taken its allowance of times. */
function counted(steps: readonly StepSpec[]): { action: string; max: number }[] {
  return steps.map((s) => ({ action: s.action, max: s.allowance }));
}

/** Progress after taking the step `d` chose. */
export function afterAct(steps: readonly StepSpec[], d: Extract<Decision, { kind: 'act' }>, now: number): Progress {
  const s = steps[d.step]!;
  const cursor = { step: d.step, used: d.attempt };
  return { ...cursor, settleUntil: s.cooldownMs > 0 ? now + s.cooldownMs : null, exhausted: exhausted(counted(steps), cursor) };
}

/** Progress after a step that does not apply to the item (a nudge without a session): the chain moves on at once. */
export function afterSkip(steps: readonly StepSpec[], d: Extract<Decision, { kind: 'act' }>): Progress {
  const next = skipStep(d.step);
  return { ...next, settleUntil: null, exhausted: exhausted(counted(steps), next) };
}

/** A clear item: true when its chain starts over now, false while its last action still settles. */
export function recovered(p: Progress, now: number): boolean {
  return p.settleUntil === null || now >= p.settleUntil;
}

/**
 * The chain stepping a monitor item uses, behind this one function: the
 * item machine (item.ts) reaches the chain only through it.
 */
export interface ChainStepper {
  /** What a matching item does now. */
  next(p: Progress, now: number): Decision;
  /** Progress after the chosen step ran. */
  acted(d: ActDecision, now: number): Progress;
  /** Progress after the chosen step did not apply. */
  skipped(d: ActDecision): Progress;
  /** A clear item: whether its chain starts over now. */
  settled(p: Progress, now: number): boolean;
}

export type ActDecision = Extract<Decision, { kind: 'act' }>;

export function monitorChain(steps: readonly StepSpec[]): ChainStepper {
  return {
    next: (p, now) => decide(steps, p, now),
    acted: (d, now) => afterAct(steps, d, now),
    skipped: (d) => afterSkip(steps, d),
    settled: (p, now) => recovered(p, now),
  };
}
