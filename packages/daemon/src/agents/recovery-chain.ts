/**
 * Walking a recovery chain (`["nudge", "restart:2", "escalate"]`) one step at
 * a time, in memory, for a supervised agent session: each call to `next()`
 * returns the action to take now, honouring the `:N` counts, or null once the
 * chain is exhausted. The stepping rule itself is coordination's `takeStep`.
 */
import { START, takeStep, type ChainProgress } from '../core/chain-cursor.js';

export interface ChainStepLike {
  action: string;
  max: number | null;
}

export class ChainCursor {
  private progress: ChainProgress = START;

  constructor(private readonly steps: readonly ChainStepLike[]) {}

  next(): string | null {
    const taken = takeStep(this.steps, this.progress);
    if (!taken) return null;
    this.progress = taken.progress;
    return taken.step.action;
  }

  reset(): void {
    this.progress = START;
  }
}
