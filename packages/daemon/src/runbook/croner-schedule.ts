/**
 * Calendar schedules from cron expressions, through `croner` (parsing, the
 * `L`/`W`/`#` modifiers, nicknames, time zones and daylight saving). A
 * calendar slot is a time of the wall clock in a zone:
 *
 * - a fixed time that does not exist (spring forward: 02:30 on the night
 *   clocks go from 02:00 to 03:00) runs once, at the first valid time after
 *   the gap (03:00);
 * - a fixed time that happens twice (fall back) runs once, the first time.
 *
 * "Fixed" means the seconds, minutes and hours fields have no wildcard and
 * no step (`30 2 * * *`, `0 9,17 * * *`); a schedule with a wildcard or a
 * step there (every 15 minutes) follows the clock as it goes: the quarter
 * hours of a skipped hour do not exist, and those of a repeated hour happen
 * twice (they are an hour apart).
 */
import { Cron } from 'croner';
import { calendarSchedule, type Schedule } from '../core/cron/index.js';

/** The zone of this process ("the daemon's local zone"). */
export function localTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The IANA name as the time-zone database spells it ("Europe/Paris" for "europe/paris"), or null when there is no such zone. */
export function canonicalTimeZone(name: string): string | null {
  if (name.trim() === '') return null;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    // An alias keeps the name as written ("EST" resolves to another zone of the same offset).
    return resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
  } catch {
    return null;
  }
}

/** Every zone name this runtime knows (for did-you-mean). */
export function knownTimeZones(): string[] {
  return Intl.supportedValuesOf('timeZone');
}

/**
 * The calendar of `expression` (5 fields, or 6 with seconds first, or a
 * nickname such as `@daily`) in `zone` (null: local). Throws with croner's
 * reason (without its prefix) when the expression is not one, or when it
 * never matches a date.
 */
export function calendarFrom(expression: string, zone: string | null): Schedule {
  let cron: Cron;
  try {
    cron = new Cron(expression, { paused: true, mode: '5-or-6-parts', fixedTimeRule: 'no-wildcard', ...(zone ? { timezone: zone } : {}) });
  } catch (err) {
    throw new Error(reason(err), { cause: err });
  }
  const after = (t: number): number => {
    const next = cron.nextRun(new Date(t));
    if (!next) throw new Error(`"${expression}" matches no date after ${new Date(t).toISOString()}`);
    return next.getTime();
  };
  // previousRuns looks strictly before its reference: one millisecond later includes `t` itself.
  const atOrBefore = (t: number): number | null => cron.previousRuns(1, new Date(t + 1))[0]?.getTime() ?? null;
  try {
    after(Date.now());
  } catch (err) {
    throw new Error(reason(err).includes('matches no date') ? `"${expression}" never matches a date` : reason(err), { cause: err });
  }
  return calendarSchedule(expression, `calendar ${expression} in ${zone ?? 'local'}`, after, atOrBefore);
}

function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^Cron(Pattern|Date): /, '');
}
