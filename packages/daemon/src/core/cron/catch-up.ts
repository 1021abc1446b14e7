/**
 * The catch-up rule after downtime (pure): an enabled cron whose due slot
 * passed while the daemon was down runs once (for that slot), however many
 * slots it missed, and then goes on with the first slot still ahead. A cron
 * with no due slot recorded starts afresh.
 */
import type { Schedule } from './schedule.js';

export interface StartPlan {
  /** Run once now (a slot was missed while the daemon was down). */
  catchUp: boolean;
  /** The slot to wait for next. */
  next: number;
}

/** What an enabled cron does when the daemon starts, given its recorded due slot. */
export function planAtStart(nextDue: number | null, schedule: Schedule, now: number): StartPlan {
  if (nextDue === null) return { catchUp: false, next: schedule.first(now) };
  if (nextDue > now) return { catchUp: false, next: nextDue };
  return { catchUp: true, next: schedule.nextAfter(nextDue, now) };
}
