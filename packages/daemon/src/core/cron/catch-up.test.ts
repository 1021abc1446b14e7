import { describe, expect, it } from 'vitest';
import { backlogNext, LATE_GRACE_MS, MISSED_COUNT_CAP, planDue, type CatchUp } from './catch-up.js';
import { calendarSchedule, intervalSchedule } from './schedule.js';

const every30s = intervalSchedule(30_000, '30s');
const latest: CatchUp = { policy: 'latest', max: 10 };
const none: CatchUp = { policy: 'none', max: 10 };
const all = (max: number): CatchUp => ({ policy: 'all', max });
// A calendar: slots on every whole 100_000 (its slots do not depend on the cron).
const hundreds = calendarSchedule(
  'hundreds',
  'hundreds',
  (t) => Math.floor(t / 100_000 + 1) * 100_000,
  (t) => (t < 0 ? null : Math.floor(t / 100_000) * 100_000),
);

describe('missed slots at start (every slot up to now is missed)', () => {
  const down = 10_000 + 3_600_000 + 5_000; // an hour and a bit after the due slot at 10_000

  it('latest: one run, for the most recent slot, then the first slot still ahead, on the original grid', () => {
    const plan = planDue(10_000, every30s, latest, down, 0);
    expect(plan.missed).toEqual({ firstAt: 10_000, lastAt: 10_000 + 120 * 30_000, count: 121, capped: false, runs: 1 });
    expect(plan.run).toEqual({ slot: 10_000 + 120 * 30_000, catchUp: true });
    expect(plan.next).toBe(10_000 + 121 * 30_000);
    expect(plan.backlogUntil).toBeNull();
  });

  it('none: no run, the missed slots reported', () => {
    const plan = planDue(10_000, every30s, none, down, 0);
    expect(plan.run).toBeNull();
    expect(plan.missed).toMatchObject({ count: 121, runs: 0 });
    expect(plan.next).toBe(10_000 + 121 * 30_000);
  });

  it('all: the most recent max_catch_up slots, oldest first, one after the other', () => {
    const plan = planDue(10_000, every30s, all(3), down, 0);
    const last = 10_000 + 120 * 30_000;
    expect(plan.missed).toMatchObject({ count: 121, runs: 3 });
    expect(plan.run).toEqual({ slot: last - 60_000, catchUp: true });
    expect(plan.next).toBe(last - 30_000);
    expect(plan.backlogUntil).toBe(last);
    expect(backlogNext(last - 30_000, last, every30s, down)).toEqual({ next: last, backlogUntil: last });
    expect(backlogNext(last, last, every30s, down)).toEqual({ next: last + 30_000, backlogUntil: null });
    // Fewer missed than the bound: each of them.
    const two = planDue(10_000, every30s, all(5), 45_000, 0);
    expect(two.run).toEqual({ slot: 10_000, catchUp: true });
    expect(two.backlogUntil).toBe(40_000);
    expect(planDue(10_000, every30s, all(5), 20_000, 0)).toMatchObject({ run: { slot: 10_000, catchUp: true }, backlogUntil: null, next: 40_000 });
  });

  it('a slot due exactly at start counts as missed', () => {
    expect(planDue(40_000, every30s, latest, 40_000, 0)).toMatchObject({ run: { slot: 40_000, catchUp: true }, next: 70_000 });
    expect(planDue(40_000, every30s, none, 40_000, 0)).toMatchObject({ run: null, missed: { count: 1 }, next: 70_000 });
  });

  it('counts at most MISSED_COUNT_CAP slots and says so', () => {
    const plan = planDue(0, intervalSchedule(1000, '1s'), latest, 7 * 86_400_000, 0);
    expect(plan.missed).toMatchObject({ firstAt: 0, lastAt: 7 * 86_400_000, count: MISSED_COUNT_CAP, capped: true });
    expect(plan.run).toEqual({ slot: 7 * 86_400_000, catchUp: true });
  });

  it('the same rule for a calendar, whatever kind of schedule it is', () => {
    expect(planDue(100_000, hundreds, latest, 350_000, 0)).toMatchObject({ run: { slot: 300_000, catchUp: true }, next: 400_000, missed: { count: 3 } });
    expect(planDue(100_000, hundreds, none, 350_000, 0)).toMatchObject({ run: null, next: 400_000 });
    expect(planDue(100_000, hundreds, all(2), 350_000, 0)).toMatchObject({ run: { slot: 200_000 }, next: 300_000, backlogUntil: 300_000 });
  });
});

describe('slots noticed late while the daemon runs', () => {
  it('less than the grace late: not missed, the latest slot runs on time (whatever catch_up says)', () => {
    for (const c of [latest, none, all(5)]) {
      const plan = planDue(30_000, every30s, c, 85_000, LATE_GRACE_MS);
      expect(plan).toEqual({ missed: null, missedSlots: [], run: { slot: 60_000, catchUp: false }, backlogUntil: null, next: 90_000 });
    }
  });

  it('more than the grace late (the machine slept): the old slots are missed, a recent one still runs on time', () => {
    const now = 30_000 + 10 * 60_000 + 5_000; // ten minutes and a bit late
    const n = planDue(30_000, every30s, none, now, LATE_GRACE_MS);
    expect(n.run).toEqual({ slot: 630_000, catchUp: false });
    expect(n.missed).toMatchObject({ firstAt: 30_000, lastAt: 570_000, count: 19, runs: 0 });
    const l = planDue(30_000, every30s, latest, now, LATE_GRACE_MS);
    expect(l.run).toEqual({ slot: 630_000, catchUp: false });
    expect(l.missed).toMatchObject({ runs: 0 });
    const a = planDue(30_000, every30s, all(2), now, LATE_GRACE_MS);
    expect(a.run).toEqual({ slot: 540_000, catchUp: true });
    expect(a.backlogUntil).toBe(630_000);
    // A calendar slot an hour late, none on time: latest runs it as a catch-up.
    expect(planDue(100_000, hundreds, latest, 3_790_000, LATE_GRACE_MS).run).toEqual({ slot: 3_700_000, catchUp: true });
  });
});
