import { describe, expect, it } from 'vitest';
import { intervalSchedule, jittered, nextSlotAfter, upcoming } from './schedule.js';

describe('interval schedule', () => {
  it('keeps to the grid: the next slot is the scheduled time plus the interval, not the run time', () => {
    // scheduled at 1000, the run happened late (at 1400): next is still 2000
    expect(nextSlotAfter(1000, 1000, 1400)).toBe(2000);
  });

  it('skips slots that have already passed instead of bursting', () => {
    expect(nextSlotAfter(1000, 1000, 5500)).toBe(6000);
    expect(nextSlotAfter(1000, 1000, 6000)).toBe(7000);
  });

  it('never drifts over many ticks even when each one fires late', () => {
    let scheduled = 0;
    let now = 0;
    for (let i = 0; i < 1000; i++) {
      now = scheduled + 37; // the timer fires 37 ms late every time
      scheduled = nextSlotAfter(scheduled, 1000, now);
    }
    expect(scheduled).toBe(1000 * 1000);
  });

  it('as a Schedule: the first slot is one interval after enabling, later slots stay on that grid', () => {
    const s = intervalSchedule(30_000, '30s');
    expect(s.text).toBe('30s');
    expect(s.first(5_000)).toBe(35_000);
    expect(s.nextAfter(35_000, 36_000)).toBe(65_000);
    expect(s.nextAfter(35_000, 200_000)).toBe(215_000);
  });

  it('refuses an interval that is not positive', () => {
    expect(() => intervalSchedule(0, '0s')).toThrow('positive');
    expect(() => nextSlotAfter(0, -1, 0)).toThrow('positive');
  });
});

describe('looking back, upcoming slots, jitter', () => {
  it('the last slot of an interval grid by a time', () => {
    const s = intervalSchedule(1000, '1s');
    expect(s.latestUpTo(500, 400)).toBe(500);
    expect(s.latestUpTo(500, 1499)).toBe(500);
    expect(s.latestUpTo(500, 1500)).toBe(1500);
    expect(s.latestUpTo(500, 10_200)).toBe(9500);
  });

  it('upcoming: the due slot, then the ones after it', () => {
    expect(upcoming(intervalSchedule(1000, '1s'), 2500, 3)).toEqual([2500, 3500, 4500]);
  });

  it('jittered: every slot later by the offset, the first one still strictly after now', () => {
    const s = jittered(intervalSchedule(10_000, '10s'), 3000);
    // An interval's grid starts when the cron is enabled, so the offset changes nothing there (jitter is for calendars).
    expect(s.first(0)).toBe(10_000);
    expect(s.nextAfter(13_000, 13_000)).toBe(23_000);
    expect(s.latestUpTo(13_000, 40_000)).toBe(33_000);
    expect(jittered(intervalSchedule(10_000, '10s'), 0).key).toBe('every 10000ms');
  });
});
