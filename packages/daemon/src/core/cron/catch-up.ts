/**
 * Missed slots (pure): what a cron does when it finds its due slot has
 * passed, with every slot after it up to now. A slot is *missed* when it
 * passed while the daemon was down (at start, every slot up to now), or when
 * the daemon notices it more than `LATE_GRACE_MS` late (the machine slept,
 * the daemon was stopped with SIGSTOP). Slots noticed less late than that
 * are merely late: the latest of them runs, as an ordinary run.
 *
 * The cron's `catch_up` says what happens to missed slots, the same for
 * interval and calendar crons:
 * - `latest` (default): one run, for the most recent slot, never a burst;
 * - `none`: none (a late-but-on-time slot still runs);
 * - `all`: one run per missed slot, one after the other, at most
 *   `max_catch_up` of them (the most recent ones).
 * Each slot runs at most once: the cron's stored due slot moves past a slot
 * in the same write that records its run (the slot is what is claimed).
 */
import type { CronMethods } from '@oj/protocol';
import type { Schedule } from './schedule.js';

/** `latest`, `none` or `all` (the protocol's, as `oj cron list` shows it). */
export type CatchUpPolicy = CronMethods.CatchUpPolicy;

export interface CatchUp {
  policy: CatchUpPolicy;
  /** For `all`: the most missed slots run. */
  max: number;
}

/** How late a slot may be noticed while the daemon runs and still count as on time. */
export const LATE_GRACE_MS = 60_000;

/** Missed slots are counted up to this many (a 1s cron down for a week missed 604,800). */
export const MISSED_COUNT_CAP = 1000;

export interface Missed {
  firstAt: number;
  lastAt: number;
  /** How many slots (at most MISSED_COUNT_CAP; `capped` when there were more). */
  count: number;
  capped: boolean;
  /** How many of them run (catch-up runs). */
  runs: number;
}

export interface DuePlan {
  /** The slots missed (those no other daemon of the cluster ran), null when none was. */
  missed: Missed | null;
  /** Every slot that passed unrun here, newest first (at most MISSED_COUNT_CAP + 1): the ones to ask the cluster about. */
  missedSlots: readonly number[];
  /** The slot to run now, null when none runs. */
  run: { slot: number; catchUp: boolean } | null;
  /** `all`: the last slot still to run after this one (the backlog runs one slot at a time); null when none. */
  backlogUntil: number | null;
  /** The slot to wait for next (a backlog slot, in the past, or the first slot after now). */
  next: number;
}

const NONE: ReadonlySet<number> = new Set();

/**
 * The due slot `due` (at or before `now`) came up: which slots were missed,
 * which one runs now and which one is next. `graceMs` is 0 when the daemon
 * has just started (every slot that passed while it was down is missed).
 * `ranElsewhere`: slots another daemon of the cluster claimed (ran); they
 * are neither missed nor caught up here.
 */
export function planDue(due: number, schedule: Schedule, catchUp: CatchUp, now: number, graceMs: number, ranElsewhere: ReadonlySet<number> = NONE): DuePlan {
  const latest = schedule.latestUpTo(due, now);
  const cutoff = now - graceMs;
  const after = schedule.nextAfter(latest, now);
  if (due > cutoff) return { missed: null, missedSlots: [], run: { slot: latest, catchUp: false }, backlogUntil: null, next: after };
  // Missed: every slot from `due` to the last one at or before the cutoff; newest first, counted up to the cap.
  const onTime = latest > cutoff ? latest : null;
  const missedSlots = newestFirst(schedule, due, schedule.latestUpTo(due, cutoff), MISSED_COUNT_CAP);
  const ours = missedSlots.filter((slot) => !ranElsewhere.has(slot));
  const count = Math.min(ours.length, MISSED_COUNT_CAP);
  const capped = ours.length > MISSED_COUNT_CAP;
  const missedWith = (runs: number): Missed | null =>
    ours.length === 0 ? null : { firstAt: capped ? due : ours[ours.length - 1]!, lastAt: ours[0]!, count, capped, runs };
  switch (catchUp.policy) {
    case 'none':
      return { missed: missedWith(0), missedSlots, run: onTime === null ? null : { slot: onTime, catchUp: false }, backlogUntil: null, next: after };
    case 'latest': {
      const catchUpRun = onTime === null && !ranElsewhere.has(latest);
      return { missed: missedWith(catchUpRun ? 1 : 0), missedSlots, run: { slot: latest, catchUp: onTime === null }, backlogUntil: null, next: after };
    }
    case 'all': {
      // The most recent `max` missed slots (of those no other daemon ran), oldest first, then the on-time slot (if any).
      const caughtUp = ours.slice(0, Math.min(catchUp.max, count));
      const missed = missedWith(caughtUp.length);
      const backlog = caughtUp.reverse();
      if (onTime !== null) backlog.push(onTime);
      const [first, second] = backlog;
      if (first === undefined) return { missed, missedSlots, run: null, backlogUntil: null, next: after };
      if (second === undefined) return { missed, missedSlots, run: { slot: first, catchUp: onTime === null }, backlogUntil: null, next: after };
      return { missed, missedSlots, run: { slot: first, catchUp: true }, backlogUntil: backlog[backlog.length - 1]!, next: second };
    }
  }
}

/** The backlog of `all` went on with `slot`: the slot after it, and whether the backlog goes on. */
export function backlogNext(slot: number, until: number, schedule: Schedule, now: number): { next: number; backlogUntil: number | null } {
  const following = schedule.nextAfter(slot, slot);
  if (following <= until) return { next: following, backlogUntil: until };
  return { next: schedule.nextAfter(until, now), backlogUntil: null };
}

/** The slots of `due`'s grid from `last` back to `due`, newest first: at most `cap` + 1 (more than `cap`: there were more). */
function newestFirst(schedule: Schedule, due: number, last: number, cap: number): number[] {
  const out = [last];
  let slot = last;
  while (slot > due && out.length < cap + 1) {
    slot = schedule.latestUpTo(due, slot - 1);
    out.push(slot);
  }
  return out;
}
