import { describe, expect, it } from 'vitest';
import { planAtStart } from './catch-up.js';
import { intervalSchedule, type Schedule } from './schedule.js';

const every30s = intervalSchedule(30_000, '30s');

describe('catch-up after downtime', () => {
  it('after a long downtime runs once, then continues on the original grid', () => {
    const plan = planAtStart(10_000, every30s, 10_000 + 3_600_000 + 5_000);
    expect(plan.catchUp).toBe(true);
    expect(plan.next).toBe(10_000 + 121 * 30_000);
    expect(plan.next).toBeGreaterThan(10_000 + 3_600_000 + 5_000);
  });

  it('a slot due exactly at start counts as missed', () => {
    expect(planAtStart(40_000, every30s, 40_000)).toEqual({ catchUp: true, next: 70_000 });
  });

  it('a due time still ahead is kept as it is; none recorded starts afresh', () => {
    expect(planAtStart(50_000, every30s, 40_000)).toEqual({ catchUp: false, next: 50_000 });
    expect(planAtStart(null, every30s, 40_000)).toEqual({ catchUp: false, next: 70_000 });
  });

  it('asks the schedule for the next slot, whatever kind it is', () => {
    // A schedule that is not an interval: slots on every whole 100_000.
    const hundreds: Schedule = {
      text: 'hundreds',
      first: (now) => Math.floor(now / 100_000 + 1) * 100_000,
      nextAfter: (slot, now) => Math.floor(Math.max(slot, now) / 100_000 + 1) * 100_000,
    };
    expect(planAtStart(100_000, hundreds, 350_000)).toEqual({ catchUp: true, next: 400_000 });
    expect(planAtStart(null, hundreds, 350_000)).toEqual({ catchUp: false, next: 400_000 });
  });
});
