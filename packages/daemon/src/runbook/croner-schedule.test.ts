import { describe, expect, it } from 'vitest';
import { jittered, planDue, upcoming, type Schedule } from '../core/cron/index.js';
import { calendarFrom, canonicalTimeZone } from './croner-schedule.js';

const at = (iso: string) => Date.parse(iso);
const utc = (ms: number) => new Date(ms).toISOString();

/** A time as the wall clock of `zone` reads it, with its offset: "2025-03-09 03:00:00 GMT-04:00". */
function wall(ms: number, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'longOffset',
  }).formatToParts(new Date(ms));
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
}

/** The next `count` slots of a schedule for a cron enabled at `now` (a fixed clock). */
function nextRuns(s: Schedule, now: number, count: number): number[] {
  return upcoming(s, s.first(now), count);
}

describe('calendar schedules across daylight saving (fixed clock)', () => {
  it('0 3 * * * in America/New_York stays at 03:00 New York time across both changes of 2025', () => {
    const s = calendarFrom('0 3 * * *', 'America/New_York');
    const spring = nextRuns(s, at('2025-03-07T12:00:00Z'), 4);
    expect(spring.map((t) => wall(t, 'America/New_York'))).toEqual([
      '2025-03-08 03:00:00 GMT-05:00',
      '2025-03-09 03:00:00 GMT-04:00',
      '2025-03-10 03:00:00 GMT-04:00',
      '2025-03-11 03:00:00 GMT-04:00',
    ]);
    // The day clocks spring forward is 23 hours long: 03:00 comes 23h after the previous one.
    expect(spring.map(utc)).toEqual(['2025-03-08T08:00:00.000Z', '2025-03-09T07:00:00.000Z', '2025-03-10T07:00:00.000Z', '2025-03-11T07:00:00.000Z']);
    const fall = nextRuns(s, at('2025-10-31T12:00:00Z'), 4);
    expect(fall.map((t) => wall(t, 'America/New_York'))).toEqual([
      '2025-11-01 03:00:00 GMT-04:00',
      '2025-11-02 03:00:00 GMT-05:00',
      '2025-11-03 03:00:00 GMT-05:00',
      '2025-11-04 03:00:00 GMT-05:00',
    ]);
    expect(fall[1]! - fall[0]!).toBe(25 * 3_600_000);
  });

  it('a time that does not exist (spring forward) runs once, at the first valid time after the gap', () => {
    const ny = nextRuns(calendarFrom('30 2 * * *', 'America/New_York'), at('2025-03-08T12:00:00Z'), 2);
    expect(ny.map((t) => wall(t, 'America/New_York'))).toEqual(['2025-03-09 03:00:00 GMT-04:00', '2025-03-10 02:30:00 GMT-04:00']);
    const paris = nextRuns(calendarFrom('30 2 * * *', 'Europe/Paris'), at('2025-03-29T12:00:00Z'), 2);
    expect(paris.map((t) => wall(t, 'Europe/Paris'))).toEqual(['2025-03-30 03:00:00 GMT+02:00', '2025-03-31 02:30:00 GMT+02:00']);
  });

  it('a time that happens twice (fall back) runs once, the first time', () => {
    const ny = nextRuns(calendarFrom('30 1 * * *', 'America/New_York'), at('2025-11-01T12:00:00Z'), 2);
    expect(ny.map(utc)).toEqual(['2025-11-02T05:30:00.000Z', '2025-11-03T06:30:00.000Z']);
    expect(ny.map((t) => wall(t, 'America/New_York'))).toEqual(['2025-11-02 01:30:00 GMT-04:00', '2025-11-03 01:30:00 GMT-05:00']);
    const paris = nextRuns(calendarFrom('30 2 * * *', 'Europe/Paris'), at('2025-10-25T12:00:00Z'), 2);
    expect(paris.map((t) => wall(t, 'Europe/Paris'))).toEqual(['2025-10-26 02:30:00 GMT+02:00', '2025-10-27 02:30:00 GMT+01:00']);
    // A list of fixed times is fixed too: 01:30 and 02:30 once each on the long night.
    const twice = nextRuns(calendarFrom('30 1,2 * * *', 'America/New_York'), at('2025-11-02T04:00:00Z'), 2);
    expect(twice.map(utc)).toEqual(['2025-11-02T05:30:00.000Z', '2025-11-02T07:30:00.000Z']);
  });

  it('looking back agrees: the last slot by a time across a change is the one that ran', () => {
    const s = calendarFrom('30 1 * * *', 'America/New_York');
    const before = at('2025-11-01T05:30:00Z');
    // By 07:00Z on the long night, 01:30 has happened once (05:30Z), not a second time at 06:30Z.
    expect(utc(s.latestUpTo(before, at('2025-11-02T07:00:00Z')))).toBe('2025-11-02T05:30:00.000Z');
    expect(s.latestUpTo(before, before + 1000)).toBe(before);
    const paris = calendarFrom('30 2 * * *', 'Europe/Paris');
    expect(utc(paris.latestUpTo(at('2025-03-29T01:30:00Z'), at('2025-03-30T12:00:00Z')))).toBe('2025-03-30T01:00:00.000Z');
  });

  it('missed slots across a change: three days down, latest catches up the last 03:00 only', () => {
    const s = calendarFrom('0 3 * * *', 'America/New_York');
    const plan = planDue(at('2025-03-08T08:00:00Z'), s, { policy: 'latest', max: 10 }, at('2025-03-10T12:00:00Z'), 0);
    expect(plan.missed).toMatchObject({ count: 3, firstAt: at('2025-03-08T08:00:00Z'), lastAt: at('2025-03-10T07:00:00Z') });
    expect(plan.run).toEqual({ slot: at('2025-03-10T07:00:00Z'), catchUp: true });
    expect(utc(plan.next)).toBe('2025-03-11T07:00:00.000Z');
  });
});

describe('calendar expressions', () => {
  const from = at('2025-01-01T00:00:00Z');

  it('6 fields start with seconds; nicknames are accepted', () => {
    expect(nextRuns(calendarFrom('*/2 * * * * *', 'UTC'), from + 500, 3).map(utc)).toEqual([
      '2025-01-01T00:00:02.000Z',
      '2025-01-01T00:00:04.000Z',
      '2025-01-01T00:00:06.000Z',
    ]);
    expect(utc(calendarFrom('@hourly', 'UTC').first(from))).toBe('2025-01-01T01:00:00.000Z');
    expect(utc(calendarFrom('@daily', 'UTC').first(from))).toBe('2025-01-02T00:00:00.000Z');
    expect(utc(calendarFrom('@weekly', 'UTC').first(from))).toBe('2025-01-05T00:00:00.000Z');
    expect(utc(calendarFrom('0 9 * * 1-5', 'Europe/Paris').first(at('2025-01-03T09:00:00Z')))).toBe('2025-01-06T08:00:00.000Z');
  });

  it('a slot exactly now is not the next one', () => {
    const s = calendarFrom('*/2 * * * * *', 'UTC');
    expect(utc(s.first(at('2025-01-01T00:00:02Z')))).toBe('2025-01-01T00:00:04.000Z');
    expect(utc(s.nextAfter(at('2025-01-01T00:00:02Z'), at('2025-01-01T00:00:01Z')))).toBe('2025-01-01T00:00:04.000Z');
  });

  it('refuses what is not an expression, with the reason', () => {
    expect(() => calendarFrom('61 * * * *', 'UTC')).toThrow('Invalid value for minute: 61');
    expect(() => calendarFrom('* * *', 'UTC')).toThrow(/5 or 6 parts|five, six/);
    expect(() => calendarFrom('* * * * * * *', 'UTC')).toThrow(/5 or 6 parts/);
    expect(() => calendarFrom('0 0 30 2 *', 'UTC')).toThrow('never matches a date');
    expect(() => calendarFrom('@reboot', 'UTC')).toThrow(/@reboot/);
  });

  it('time zones: IANA names as the database spells them, or null', () => {
    expect(canonicalTimeZone('Europe/Paris')).toBe('Europe/Paris');
    expect(canonicalTimeZone('europe/paris')).toBe('Europe/Paris');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('Mars/Olympus')).toBeNull();
    expect(canonicalTimeZone('+02:00')).toBeNull();
    expect(canonicalTimeZone('')).toBeNull();
  });

  it('a jitter moves every slot by the same offset; the key tells jittered schedules apart', () => {
    const base = calendarFrom('0 3 * * *', 'UTC');
    const j = jittered(base, 137_000);
    expect(utc(j.first(from))).toBe('2025-01-01T03:02:17.000Z');
    expect(utc(j.nextAfter(j.first(from), j.first(from)))).toBe('2025-01-02T03:02:17.000Z');
    // Between 03:00 and 03:02:17 the slot of the day is still ahead.
    expect(utc(j.first(at('2025-01-01T03:01:00Z')))).toBe('2025-01-01T03:02:17.000Z');
    expect(j.key).not.toBe(base.key);
  });
});
