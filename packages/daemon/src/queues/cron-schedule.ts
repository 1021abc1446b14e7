/**
 * Cron schedule arithmetic (pure). Due times stay on the grid the cron was
 * enabled on: the next run is the previous *scheduled* time plus the
 * interval, never "when the last run happened" plus the interval, so a slow
 * run or a late timer does not accumulate drift. Slots that passed while the
 * daemon was down (or busy) are skipped: at most one catch-up run, then the
 * schedule continues on its grid.
 */

/** The first slot `scheduled + k * interval` (k >= 1) strictly after `now`. */
export function nextSlotAfter(scheduled: number, intervalMs: number, now: number): number {
  if (intervalMs <= 0) throw new Error('interval must be positive');
  const next = scheduled + intervalMs;
  if (next > now) return next;
  const k = Math.floor((now - scheduled) / intervalMs) + 1;
  return scheduled + k * intervalMs;
}

export interface StartPlan {
  /** Run once now (a slot was missed while the daemon was down). */
  catchUp: boolean;
  /** The due time to wait for next. */
  next: number;
}

/** What an enabled cron does when the daemon starts. */
export function planAtStart(nextDue: number | null, intervalMs: number, now: number): StartPlan {
  if (nextDue === null) return { catchUp: false, next: now + intervalMs };
  if (nextDue > now) return { catchUp: false, next: nextDue };
  return { catchUp: true, next: nextSlotAfter(nextDue, intervalMs, now) };
}
