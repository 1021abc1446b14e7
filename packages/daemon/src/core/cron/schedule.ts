/**
 * When a cron's slots fall (pure). A schedule only answers "which slot comes
 * next", so a kind of schedule other than an interval (a calendar) is one
 * more implementation of `Schedule`.
 *
 * An interval keeps to the grid the cron was enabled on: the next slot is the
 * previous *scheduled* slot plus the interval, never "when the last run
 * happened" plus the interval, so a slow run or a late timer does not
 * accumulate drift. Slots that passed while the daemon was down or the cron
 * busy are skipped, never queued up.
 */

export interface Schedule {
  /** How the schedule reads in events and listings (e.g. "30s"). */
  readonly text: string;
  /** The first slot of a cron enabled at `now`. */
  first(now: number): number;
  /** The first slot after `slot` that is also strictly after `now`. */
  nextAfter(slot: number, now: number): number;
}

/** Every `ms`, on the grid of the slot the cron was enabled for. */
export function intervalSchedule(ms: number, text: string): Schedule {
  if (!(ms > 0)) throw new Error('interval must be positive');
  return {
    text,
    first: (now) => now + ms,
    nextAfter: (slot, now) => nextSlotAfter(slot, ms, now),
  };
}

/**
 * Every `ms` on the grid of the epoch (multiples of `ms` since 1970): the
 * grid every daemon of a cluster computes alike, so a slot is the same slot
 * on every host whenever each enabled the cron (cluster mode claims slots
 * by their time).
 */
export function alignedIntervalSchedule(ms: number, text: string): Schedule {
  if (!(ms > 0)) throw new Error('interval must be positive');
  return {
    text,
    first: (now) => (Math.floor(now / ms) + 1) * ms,
    nextAfter: (slot, now) => nextSlotAfter(slot, ms, now),
  };
}

/** The first slot `scheduled + k * interval` (k >= 1) strictly after `now`. */
export function nextSlotAfter(scheduled: number, intervalMs: number, now: number): number {
  if (intervalMs <= 0) throw new Error('interval must be positive');
  const next = scheduled + intervalMs;
  if (next > now) return next;
  const k = Math.floor((now - scheduled) / intervalMs) + 1;
  return scheduled + k * intervalMs;
}
