/**
 * Ticks a cron skips because its previous run is still under way, summed up
 * (pure): a run of consecutive skips becomes one `cron:skipped` event
 * carrying how many there were, emitted when the cron next runs, is disabled
 * or the daemon stops — not one event per tick (a 1s cron behind a run of an
 * hour would otherwise write 3,600).
 */
import type { CronEmit, SkipRun } from './types.js';

/** The run of skips after one more tick, due at `at`, was skipped. */
export function recordSkip(run: SkipRun | null, at: number, pipeline: string | null): SkipRun {
  if (!run) return { count: 1, firstAt: at, lastAt: at, pipeline };
  return { count: run.count + 1, firstAt: run.firstAt, lastAt: at, pipeline: run.pipeline ?? pipeline };
}

/** The one event that reports a run of skips. */
export function skippedEvent(cron: string, run: SkipRun): CronEmit {
  return {
    name: 'cron:skipped',
    data: {
      cron,
      reason: 'the previous run was still under way',
      count: run.count,
      firstAt: new Date(run.firstAt).toISOString(),
      lastAt: new Date(run.lastAt).toISOString(),
      ...(run.pipeline ? { pipeline: run.pipeline } : {}),
    },
  };
}
