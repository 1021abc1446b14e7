/**
 * Walking a recovery chain (`["nudge", "restart:2", "escalate"]`) one step at
 * a time: each call to `next()` returns the action to take now, honouring the
 * `:N` counts, or null once the chain is exhausted.
 */

export interface ChainStepLike {
  action: string;
  max: number | null;
}

export class ChainCursor {
  private step = 0;
  private used = 0;

  constructor(private readonly steps: readonly ChainStepLike[]) {}

  next(): string | null {
    for (;;) {
      const s = this.steps[this.step];
      if (!s) return null;
      if (this.used < (s.max ?? 1)) {
        this.used += 1;
        return s.action;
      }
      this.step += 1;
      this.used = 0;
    }
  }

  reset(): void {
    this.step = 0;
    this.used = 0;
  }

  get exhausted(): boolean {
    const s = this.steps[this.step];
    return !s || (this.step === this.steps.length - 1 && this.used >= (s.max ?? 1));
  }
}
