import { describe, expect, it } from 'vitest';
import type { CatchUp } from './catch-up.js';
import { calendarSchedule, intervalSchedule } from './schedule.js';
import { blankCronState, step } from './slot.js';
import type { CronLive, CronSettings, CronSlotState } from './types.js';

const idle: CronLive = { runningHere: false, pipelineActive: false };
const runningHere: CronLive = { runningHere: true, pipelineActive: false };
const iso = (ms: number) => new Date(ms).toISOString();
const with_ = (catchUp: CatchUp): CronSettings => ({ schedule: intervalSchedule(2000, '2s'), catchUp, monitors: [] });

function enabledAt(settings: CronSettings, now: number): CronSlotState {
  return step(blankCronState('c', 0), settings, { type: 'enable', armed: false }, now).state;
}

describe('cron slot: catch_up at daemon start', () => {
  it('none: three slots missed while down run nothing; the grid goes on', () => {
    const s = with_({ policy: 'none', max: 10 });
    const t = step(enabledAt(s, 0), s, { type: 'restart', live: idle }, 7000); // slots 2000, 4000, 6000 missed
    expect(t.events).toEqual([{ name: 'cron:missed', data: { cron: 'c', firstAt: iso(2000), lastAt: iso(6000), count: 3, catchUp: 'none', runs: 0 } }]);
    expect(t.state).toMatchObject({ runs: 0, nextDueAt: 8000, catchUpUntil: null });
    expect(t.effects).toEqual([{ type: 'arm', at: 8000 }]);
  });

  it('latest: exactly one run, for the last missed slot', () => {
    const s = with_({ policy: 'latest', max: 10 });
    const t = step(enabledAt(s, 0), s, { type: 'restart', live: idle }, 7000);
    expect(t.events.map((e) => [e.name, e.data.scheduledAt ?? null, e.data.catchUp ?? null])).toEqual([
      ['cron:missed', null, 'latest'],
      ['cron:tick', iso(6000), true],
    ]);
    expect(t.state).toMatchObject({ runs: 1, nextDueAt: 8000 });
  });

  it('all: each missed slot runs, one after the other, the next when the previous run has ended', () => {
    const s = with_({ policy: 'all', max: 10 });
    let t = step(enabledAt(s, 0), s, { type: 'restart', live: idle }, 7000);
    expect(t.events.map((e) => e.name)).toEqual(['cron:missed', 'cron:tick']);
    expect(t.events[1]!.data).toMatchObject({ scheduledAt: iso(2000), catchUp: true });
    expect(t.state).toMatchObject({ nextDueAt: 4000, catchUpUntil: 6000 });
    // The timer for 4000 (in the past) fires while the run for 2000 goes on: it waits, with no timer.
    const waiting = step(t.state, s, { type: 'due', live: runningHere }, 7100);
    expect(waiting).toEqual({ state: t.state, events: [], effects: [] });
    // The run ends: the backlog goes on at once.
    t = step(t.state, s, { type: 'runEnded', outcome: 'done', error: null }, 7200);
    expect(t.effects).toContainEqual({ type: 'arm', at: 4000 });
    t = step(t.state, s, { type: 'due', live: idle }, 7200);
    expect(t.events.map((e) => e.data.scheduledAt)).toEqual([iso(4000)]);
    expect(t.state).toMatchObject({ nextDueAt: 6000, catchUpUntil: 6000 });
    t = step(step(t.state, s, { type: 'runEnded', outcome: 'done', error: null }, 7300).state, s, { type: 'due', live: idle }, 7300);
    expect(t.events.map((e) => e.data.scheduledAt)).toEqual([iso(6000)]);
    // The backlog is done: back on the grid, at the first slot after now.
    expect(t.state).toMatchObject({ nextDueAt: 8000, catchUpUntil: null, runs: 3 });
    expect(t.effects).toContainEqual({ type: 'arm', at: 8000 });
  });

  it('all is bounded by max_catch_up (the most recent slots)', () => {
    const s = with_({ policy: 'all', max: 2 });
    const t = step(enabledAt(s, 0), s, { type: 'restart', live: idle }, 21_000); // 10 slots missed
    expect(t.events[0]!.data).toMatchObject({ count: 10, runs: 2 });
    expect(t.events[1]!.data.scheduledAt).toBe(iso(18_000));
    expect(t.state).toMatchObject({ nextDueAt: 20_000, catchUpUntil: 20_000 });
  });

  it('all waits for a run still under way from before the restart; disabling drops the backlog', () => {
    const s = with_({ policy: 'all', max: 10 });
    const before: CronSlotState = { ...enabledAt(s, 0), lastOutcome: 'running', lastPipeline: 'p-1' };
    const t = step(before, s, { type: 'restart', live: { runningHere: false, pipelineActive: true } }, 7000);
    expect(t.state).toMatchObject({ nextDueAt: 2000, catchUpUntil: 6000, runs: 0 });
    expect(t.effects).toEqual([]);
    const ended = step(t.state, s, { type: 'pipelineEnded', pipeline: 'p-1', handle: 'p-1', status: 'done', error: null }, 8000);
    expect(ended.effects).toContainEqual({ type: 'arm', at: 2000 });
    const off = step(t.state, s, { type: 'disable' }, 8000);
    expect(off.state).toMatchObject({ enabled: false, nextDueAt: null, catchUpUntil: null });
  });

  it('a backlog left by the previous daemon goes on at start', () => {
    const s = with_({ policy: 'all', max: 10 });
    const left: CronSlotState = { ...enabledAt(s, 0), nextDueAt: 4000, catchUpUntil: 6000 };
    const t = step(left, s, { type: 'restart', live: idle }, 9000);
    expect(t.events.map((e) => e.data.scheduledAt)).toEqual([iso(4000)]);
    expect(t.state).toMatchObject({ nextDueAt: 6000, catchUpUntil: 6000 });
  });
});

describe('cron slot: calendar schedules and changed schedules', () => {
  // Slots on every whole 10_000.
  const tens = (key: string) =>
    calendarSchedule(key, key, (t) => Math.floor(t / 10_000 + 1) * 10_000, (t) => Math.floor(t / 10_000) * 10_000);
  const cal: CronSettings = { schedule: tens('tens'), catchUp: { policy: 'latest', max: 10 }, monitors: [] };

  it('enabling waits for the next calendar slot, not one period from now', () => {
    const t = step(blankCronState('c', 0), cal, { type: 'enable', armed: false }, 3000);
    expect(t.state).toMatchObject({ nextDueAt: 10_000, scheduleKey: 'tens' });
    expect(t.events[0]!.data).toEqual({ cron: 'c', schedule: 'tens', nextDueAt: iso(10_000) });
  });

  it('a changed calendar plans from its own next slot; an unchanged one is left alone', () => {
    const s = step(blankCronState('c', 0), cal, { type: 'enable', armed: false }, 3000).state;
    const other: CronSettings = { ...cal, schedule: calendarSchedule('other', 'other', (t) => t + 55_000, () => null) };
    expect(step(s, other, { type: 'reload', armed: true }, 4000).state).toMatchObject({ nextDueAt: 59_000, scheduleKey: 'other' });
    expect(step(s, cal, { type: 'reload', armed: true }, 4000).state).toBe(s);
  });

  it('a schedule changed while the daemon was down: the stored slot is the new schedule\'s', () => {
    const s = step(blankCronState('c', 0), with_({ policy: 'latest', max: 10 }), { type: 'enable', armed: false }, 0).state;
    const t = step(s, cal, { type: 'restart', live: idle }, 5000);
    expect(t.events).toEqual([]);
    expect(t.state).toMatchObject({ nextDueAt: 10_000, scheduleKey: 'tens' });
  });
});
