/**
 * Human durations and relative times: "3s", "4m 10s", "2h 5m", "3d 4h";
 * "12s ago", "in 5m".
 *
 * A duration shows at most two units, and it is rounded to the smaller of
 * the two (not cut): 6d 23h 59m 59.7s reads "7d", because that is what a
 * 7-day retention that has just started should say, and 6d 23h 20m reads
 * "6d 23h". The unit is chosen after rounding, so 59.6s reads "1m", not "60s".
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function formatDuration(ms: number): string {
  const abs = Math.max(0, ms);
  const s = Math.round(abs / SECOND);
  if (s < 60) return `${s}s`;
  if (s < 3600) return twoUnits(s, 60, 'm', 's');
  const m = Math.round(abs / MINUTE);
  if (m < 24 * 60) return twoUnits(m, 60, 'h', 'm');
  return twoUnits(Math.round(abs / HOUR), 24, 'd', 'h');
}

/** `count` of the small unit as "<big> <small>", dropping a zero small part. */
function twoUnits(count: number, perBig: number, big: string, small: string): string {
  const b = Math.floor(count / perBig);
  const rest = count % perBig;
  return rest ? `${b}${big} ${rest}${small}` : `${b}${big}`;
}

export function formatAgo(iso: string | number, now: number = Date.now()): string {
  const t = typeof iso === 'number' ? iso : Date.parse(iso);
  const diff = now - t;
  return diff >= 0 ? `${formatDuration(diff)} ago` : `in ${formatDuration(-diff)}`;
}

/**
 * When something is next due: "in 5m", or "due" once that time has come
 * (a cron whose tick is under way, a visibility timeout about to fire).
 */
export function formatDue(iso: string | number, now: number = Date.now()): string {
  const t = typeof iso === 'number' ? iso : Date.parse(iso);
  const left = t - now;
  return Math.round(left / SECOND) <= 0 ? 'due' : `in ${formatDuration(left)}`;
}

export function formatClock(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export const TIME_UNITS = { SECOND, MINUTE, HOUR, DAY } as const;
