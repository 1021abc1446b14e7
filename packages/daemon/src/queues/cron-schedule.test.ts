import { describe, expect, it } from 'vitest';
import { nextSlotAfter, planAtStart } from './cron-schedule.js';

describe('cron schedule', () => {
  it('keeps to the grid: the next slot is the scheduled time plus the interval, not the run time', () => {
    // scheduled at 1000, the run happened late (at 1400): next is still 2000
    expect(nextSlotAfter(1000, 1000, 1400)).toBe(2000);
  });

  it('skips slots that have already passed instead of bursting', () => {
    expect(nextSlotAfter(1000, 1000, 5500)).toBe(6000);
    expect(nextSlotAfter(1000, 1000, 6000)).toBe(7000);
  });

  it('after a long downtime runs once, then continues on the original grid', () => {
    const plan = planAtStart(10_000, 30_000, 10_000 + 3_600_000 + 5_000);
    expect(plan.catchUp).toBe(true);
    expect(plan.next).toBe(10_000 + 121 * 30_000);
    expect(plan.next).toBeGreaterThan(10_000 + 3_600_000 + 5_000);
  });

  it('a due time still ahead is kept as it is', () => {
    expect(planAtStart(50_000, 30_000, 40_000)).toEqual({ catchUp: false, next: 50_000 });
    expect(planAtStart(null, 30_000, 40_000)).toEqual({ catchUp: false, next: 70_000 });
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
});
