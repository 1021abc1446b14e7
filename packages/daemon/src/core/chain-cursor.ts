/**
 * Walking a recovery chain (`["restart:2", "escalate"]`) one step per
 * occurrence: a step with `:N` may be taken N times (else once) before the
 * chain moves on. The progress is plain data so it can be persisted.
 */

export interface ChainProgress {
  step: number;
  used: number;
}

export interface CountedStep {
  max: number | null;
}

export const START: ChainProgress = { step: 0, used: 0 };

/** The next usable step and the progress after taking it, or null when the chain is exhausted. */
export function takeStep<S extends CountedStep>(chain: readonly S[], progress: ChainProgress): { step: S; progress: ChainProgress } | null {
  let { step, used } = progress;
  for (;;) {
    const current = chain[step];
    if (!current) return null;
    if (used >= (current.max ?? 1)) {
      step += 1;
      used = 0;
      continue;
    }
    return { step: current, progress: { step, used: used + 1 } };
  }
}

export function parseProgress(text: string | null | undefined): ChainProgress {
  try {
    const p = JSON.parse(text ?? '{}') as Partial<ChainProgress>;
    return { step: Number(p.step ?? 0) || 0, used: Number(p.used ?? 0) || 0 };
  } catch {
    return { ...START };
  }
}
