/**
 * Ticks a cron skips because its previous run is still under way, summed up:
 * a run of consecutive skips becomes one `cron:skipped` event carrying how
 * many there were, emitted when the cron next runs, is disabled or the
 * daemon stops — not one event per tick.
 */

export interface SkipRun {
  /** How many ticks in a row were skipped. */
  count: number;
  /** Due times (epoch ms) of the first and last tick skipped. */
  firstAt: number;
  lastAt: number;
  /** The pipeline of the run that was still under way, when it is one. */
  pipeline: string | null;
}

export class SkipTally {
  private readonly runs = new Map<string, SkipRun>();

  /** A tick due at `at` was skipped. */
  record(key: string, at: number, pipeline: string | null): void {
    const run = this.runs.get(key);
    if (run) {
      run.count++;
      run.lastAt = at;
      run.pipeline ??= pipeline;
    } else {
      this.runs.set(key, { count: 1, firstAt: at, lastAt: at, pipeline });
    }
  }

  /** Ends the current run of skips of `key` and returns it (null when there is none). */
  take(key: string): SkipRun | null {
    const run = this.runs.get(key) ?? null;
    this.runs.delete(key);
    return run;
  }

  /** Every key with a run of skips under way. */
  keys(): string[] {
    return [...this.runs.keys()];
  }
}
