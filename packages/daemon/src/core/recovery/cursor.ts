/**
 * Walking a recovery chain (`["nudge", "restart:2", "escalate"]`) one step
 * per occurrence: a step may be taken as often as its allowance (`:N`, else
 * once) before the chain moves on to the next; past the last step the chain
 * is exhausted. The cursor is plain data, so it can be stored (a pipeline's
 * `recovery`, a guard's wait, a strategy run, a monitor item) and survives a
 * daemon restart.
 */

export interface Cursor {
  /** Index of the step being used. */
  step: number;
  /** How often that step has been taken. */
  used: number;
}

/** A step with an allowance: how many times it may be taken (null: once). */
export interface Counted {
  max: number | null;
}

export const START: Cursor = { step: 0, used: 0 };

/** The step the chain is at and which use of it this is, before the cursor moves. */
export interface NextStep<S> {
  step: S;
  index: number;
  /** 1-based: the `attempt`th use of this step... */
  attempt: number;
  /** ...of this many. */
  of: number;
}

export interface Taken<S> extends NextStep<S> {
  /** The cursor after taking it. */
  cursor: Cursor;
}

/** How many times a step may run: its `:N` and its action's `max_attempts`, the smaller when both are set; else once. */
export function allowance(stepMax: number | null, maxAttempts: number | null = null): number {
  if (stepMax !== null && maxAttempts !== null) return Math.min(stepMax, maxAttempts);
  return stepMax ?? maxAttempts ?? 1;
}

/** The next usable step, without moving; null when the chain is exhausted. */
export function peekStep<S extends Counted>(chain: readonly S[], cursor: Cursor): NextStep<S> | null {
  let { step, used } = cursor;
  for (;;) {
    const current = chain[step];
    if (!current) return null;
    const of = allowance(current.max);
    if (used < of) return { step: current, index: step, attempt: used + 1, of };
    step += 1;
    used = 0;
  }
}

/** The next usable step and the cursor after taking it; null when the chain is exhausted. */
export function takeStep<S extends Counted>(chain: readonly S[], cursor: Cursor): Taken<S> | null {
  const next = peekStep(chain, cursor);
  return next && { ...next, cursor: { step: next.index, used: next.attempt } };
}

/** The cursor past step `index`: a step that did not apply gives way to the next at once. */
export function skipStep(index: number): Cursor {
  return { step: index + 1, used: 0 };
}

/** True when no step is left to take. */
export function exhausted(chain: readonly Counted[], cursor: Cursor): boolean {
  return peekStep(chain, cursor) === null;
}

/** A stored cursor (JSON text); a missing or unreadable one starts the chain over. */
export function parseCursor(text: string | null | undefined): Cursor {
  try {
    const p = JSON.parse(text ?? '{}') as Partial<Cursor>;
    return { step: Number(p.step ?? 0) || 0, used: Number(p.used ?? 0) || 0 };
  } catch {
    return { ...START };
  }
}
