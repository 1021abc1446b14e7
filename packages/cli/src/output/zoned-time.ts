/**
 * Times on the wall clock of a zone, for crons: "Sun 2025-03-09 03:00:00 -04:00"
 * in full (the offset shows a daylight-saving change), and short forms for a
 * table row ("09:00:02", "Mon 09:00", "2025-03-09 09:00").
 */

interface WallParts {
  weekday: string;
  date: string;
  hour: string;
  minute: string;
  second: string;
  /** "+02:00", "-04:00". */
  offset: string;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(zone: string | null): Intl.DateTimeFormat {
  const key = zone ?? '';
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      ...(zone ? { timeZone: zone } : {}),
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    });
    formats.set(key, f);
  }
  return f;
}

/** `t` on the wall clock of `zone` (null: this machine's). */
export function wallParts(t: number | string, zone: string | null): WallParts {
  const ms = typeof t === 'number' ? t : Date.parse(t);
  const p: Record<string, string> = {};
  for (const part of formatFor(zone).formatToParts(new Date(ms))) p[part.type] = part.value;
  const offset = (p.timeZoneName ?? 'GMT').replace(/^GMT/, '') || '+00:00';
  return { weekday: p.weekday ?? '', date: `${p.year}-${p.month}-${p.day}`, hour: p.hour ?? '', minute: p.minute ?? '', second: p.second ?? '', offset };
}

/** "Sun 2025-03-09 03:00:00 -04:00". */
export function formatZoned(t: number | string, zone: string | null): string {
  const w = wallParts(t, zone);
  return `${w.weekday} ${w.date} ${w.hour}:${w.minute}:${w.second} ${w.offset}`;
}

/**
 * Several times, each as short as reads unambiguously next to `now`: the
 * clock alone when all are today, with the weekday within a week, else with
 * the date; seconds only when one of them has any.
 */
export function formatShortTimes(times: readonly (number | string)[], zone: string | null, now: number = Date.now()): string[] {
  const walls = times.map((t) => ({ w: wallParts(t, zone), ms: typeof t === 'number' ? t : Date.parse(t) }));
  const today = wallParts(now, zone).date;
  const seconds = walls.some(({ w }) => w.second !== '00');
  const clock = (w: WallParts) => `${w.hour}:${w.minute}${seconds ? `:${w.second}` : ''}`;
  const allToday = walls.every(({ w }) => w.date === today);
  const withinWeek = walls.every(({ ms }) => ms - now < 6 * 86_400_000);
  return walls.map(({ w }) => (allToday ? clock(w) : withinWeek ? `${w.weekday} ${clock(w)}` : `${w.date} ${clock(w)}`));
}
