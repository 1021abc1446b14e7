/**
 * When a rate limit resets, read from what the agent said (pure). Claude Code
 * (2.1) ends a limited turn with a message such as
 *
 *   You've hit your session limit · resets 3pm (Europe/Paris)       within a day: a time of day
 *   You've hit your weekly limit · resets 3:30pm (UTC)
 *   You've hit your weekly limit · resets Jan 5, 3pm (UTC)          further away: a date (a year when
 *                                                                   it is not this one)
 *   Claude AI usage limit reached|1767196800                        older releases: epoch seconds
 *
 * in its StopFailure hook (`last_assistant_message`) and its transcript. A
 * report (`oj session report failed --message "rate_limit: resets at 14:00"`)
 * may say `resets [at] HH:MM` (24-hour) or an ISO time. A time of day is the
 * next such time after `now`, in the zone named in parentheses, else the
 * machine's own (the agent runs here). Null when the text names no time.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_MS = 86_400_000;

const EPOCH = /\|(\d{10})(?!\d)/;
const ISO = /\bresets?\s+(?:at\s+)?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)/i;
const WALL =
  /\bresets?\s+(?:at\s+)?(?:(?:on\s+)?([a-z]{3})[a-z]*\.?\s+(\d{1,2})(?:,\s*(\d{4}))?(?:,|\s+at)?\s+)?(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?(?:\s*\(([^)]+)\))?/i;

export function resetTimeOf(text: string, now: number): number | null {
  const epoch = EPOCH.exec(text);
  if (epoch) return Number(epoch[1]) * 1000;
  const iso = ISO.exec(text);
  if (iso) {
    const at = Date.parse(iso[1]!.replace(' ', 'T'));
    return Number.isNaN(at) ? null : at;
  }
  const m = WALL.exec(text);
  if (!m) return null;
  const [, monthName, dayText, yearText, hourText, minuteText, meridiem, zoneText] = m;
  let hour = Number(hourText);
  const minute = minuteText === undefined ? 0 : Number(minuteText);
  if (meridiem) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (/^p/i.test(meridiem) ? 12 : 0);
  } else if (minuteText === undefined) {
    return null; // "resets 3" is no time
  }
  if (hour > 23 || minute > 59) return null;
  const zone = zoneText && isZone(zoneText.trim()) ? zoneText.trim() : undefined;
  const today = partsIn(now, zone);
  if (monthName !== undefined) {
    const month = MONTHS.indexOf(monthName.toLowerCase());
    const day = Number(dayText);
    if (month < 0 || day < 1 || day > 31) return null;
    const year = yearText === undefined ? today.year : Number(yearText);
    const at = wallToUtc({ year, month, day, hour, minute }, zone);
    // Without a year, a date well behind us is next year's.
    return yearText === undefined && at < now - DAY_MS ? wallToUtc({ year: year + 1, month, day, hour, minute }, zone) : at;
  }
  const at = wallToUtc({ year: today.year, month: today.month, day: today.day, hour, minute }, zone);
  if (at > now) return at;
  // Today's time has passed: tomorrow's (the same wall-clock time, whatever the day's length).
  const tomorrow = partsIn(at + DAY_MS, zone);
  return wallToUtc({ year: tomorrow.year, month: tomorrow.month, day: tomorrow.day, hour, minute }, zone);
}

interface Wall {
  year: number;
  /** 0-based. */
  month: number;
  day: number;
  hour: number;
  minute: number;
}

function isZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock date and time of `at` in `zone` (the machine's when undefined). */
function partsIn(at: number, zone: string | undefined): Wall & { second: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    ...(zone ? { timeZone: zone } : {}),
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { year: get('year'), month: get('month') - 1, day: get('day'), hour: get('hour') % 24, minute: get('minute'), second: get('second') };
}

/** How far `zone` is ahead of UTC at `at` (ms). */
function offsetAt(at: number, zone: string | undefined): number {
  const p = partsIn(at, zone);
  return Date.UTC(p.year, p.month, p.day, p.hour, p.minute, p.second) - Math.floor(at / 1000) * 1000;
}

/** The instant a wall-clock time in `zone` names (across a DST change: the offset that holds then). */
function wallToUtc(w: Wall, zone: string | undefined): number {
  const guess = Date.UTC(w.year, w.month, w.day, w.hour, w.minute);
  const first = guess - offsetAt(guess, zone);
  const second = guess - offsetAt(first, zone);
  return second;
}
