/**
 * When a cron's slots fall (pure). A schedule answers "which slot comes
 * next" and "which slot was the last one by then"; an interval is one
 * implementation, a calendar expression (runbook/croner-schedule.ts)
 * another, and `jittered` shifts any schedule by a fixed offset.
 *
 * An interval keeps to the grid the cron was enabled on: the next slot is the
 * previous *scheduled* slot plus the interval, never "when the last run
 * happened" plus the interval, so a slow run or a late timer does not
 * accumulate drift. Slots that passed while the daemon was down are the
 * catch-up rule's (catch-up.ts).
 */

export interface Schedule {
  /** How the schedule reads in events and listings ("30s", "0 9 * * 1-5"). */
  readonly text: string;
  /** What identifies it: a reload that changes the key plans the cron anew. */
  readonly key: string;
  /** The first slot of a cron enabled at `now` (strictly after `now`). */
  first(now: number): number;
  /** The first slot after `slot` that is also strictly after `now`. */
  nextAfter(slot: number, now: number): number;
  /** The last slot of `slot`'s grid at or before `t` (`slot` itself when `t` is before the next one). */
  latestUpTo(slot: number, t: number): number;
  /** The slot a cron already due at `previousDue` waits for once its schedule became this one. */
  replan(previousDue: number | null, now: number): number;
}

/** Every `ms`, on the grid of the slot the cron was enabled for. */
export function intervalSchedule(ms: number, text: string): Schedule {
  if (!(ms > 0)) throw new Error('interval must be positive');
  return {
    text,
    key: `every ${ms}ms`,
    first: (now) => now + ms,
    nextAfter: (slot, now) => nextSlotAfter(slot, ms, now),
    latestUpTo: (slot, t) => (t <= slot ? slot : slot + Math.floor((t - slot) / ms) * ms),
    // A changed interval takes effect at once: due no later than one new interval from now.
    replan: (previousDue, now) => Math.min(previousDue ?? now + ms, now + ms),
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
  const first = (now: number): number => (Math.floor(now / ms) + 1) * ms;
  return {
    ...intervalSchedule(ms, text),
    // Its own key: a cron planned on its enable time's grid is planned anew on the epoch's.
    key: `every ${ms}ms on the epoch grid`,
    first,
    // A changed interval (or a cron planned off the grid) is due at the grid's next slot: no later than one interval from now.
    replan: (_previousDue, now) => first(now),
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

/**
 * A calendar: `after(t)` is the first slot strictly after `t`, `atOrBefore(t)`
 * the last slot at or before `t` (null when there is none). Its slots do not
 * depend on when the cron was enabled; a changed calendar plans afresh.
 */
export function calendarSchedule(text: string, key: string, after: (t: number) => number, atOrBefore: (t: number) => number | null): Schedule {
  return {
    text,
    key,
    first: (now) => after(now),
    nextAfter: (slot, now) => after(Math.max(slot, now)),
    latestUpTo: (slot, t) => (t <= slot ? slot : Math.max(slot, atOrBefore(t) ?? slot)),
    replan: (_previousDue, now) => after(now),
  };
}

/** `base` with every slot `offsetMs` later (see jitter.ts): the slots the cron really runs at. */
export function jittered(base: Schedule, offsetMs: number): Schedule {
  if (offsetMs === 0) return base;
  const off = offsetMs;
  return {
    text: base.text,
    key: `${base.key} +${off}ms`,
    first: (now) => base.first(now - off) + off,
    nextAfter: (slot, now) => base.nextAfter(slot - off, now - off) + off,
    latestUpTo: (slot, t) => base.latestUpTo(slot - off, t - off) + off,
    replan: (previousDue, now) => base.replan(previousDue === null ? null : previousDue - off, now - off) + off,
  };
}

/** The next `count` slots from `due` on (the slot a cron waits for, then the ones after it). */
export function upcoming(schedule: Schedule, due: number, count: number): number[] {
  const out: number[] = [];
  let slot = due;
  for (let i = 0; i < count; i++) {
    out.push(slot);
    slot = schedule.nextAfter(slot, slot);
  }
  return out;
}
