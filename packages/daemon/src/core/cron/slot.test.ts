import { describe, expect, it } from 'vitest';
import { intervalSchedule } from './schedule.js';
import { blankCronState, busyWith, step } from './slot.js';
import { CronBusyError, type CronLive, type CronSettings, type CronSlotState } from './types.js';

const latest = { policy: 'latest', max: 10 } as const;
const settings: CronSettings = { schedule: intervalSchedule(1000, '1s'), catchUp: latest, monitors: ['health'] };
const idle: CronLive = { runningHere: false, pipelineActive: false };
const iso = (ms: number) => new Date(ms).toISOString();

function enabledAt(now: number): CronSlotState {
  return step(blankCronState('tick', 0), settings, { type: 'enable', armed: false }, now).state;
}

describe('cron slot: enable and disable', () => {
  it('enabling plans the first slot one interval ahead, announces it, arms the timer and runs on_enable', () => {
    const t = step(blankCronState('tick', 0), settings, { type: 'enable', armed: false }, 5000);
    expect(t.state).toMatchObject({ enabled: true, scheduleKey: 'every 1000ms', nextDueAt: 6000, changedAt: 5000 });
    expect(t.events).toEqual([{ name: 'cron:enabled', data: { cron: 'tick', schedule: '1s', nextDueAt: iso(6000) } }]);
    expect(t.effects).toEqual([
      { type: 'arm', at: 6000 },
      { type: 'hook', hook: 'on_enable', values: {} },
    ]);
  });

  it('enabling an enabled cron changes nothing; it only re-arms a timer the shell lost', () => {
    const s = enabledAt(5000);
    const armed = step(s, settings, { type: 'enable', armed: true }, 5500);
    expect(armed).toEqual({ state: s, events: [], effects: [] });
    expect(armed.state).toBe(s);
    expect(step(s, settings, { type: 'enable', armed: false }, 5500).effects).toEqual([{ type: 'arm', at: 6000 }]);
  });

  it('disabling clears the due slot, reports pending skips first, disarms and runs on_disable', () => {
    let s = enabledAt(0);
    s = step(s, settings, { type: 'due', live: { runningHere: true, pipelineActive: false } }, 1000).state;
    const t = step(s, settings, { type: 'disable' }, 1500);
    expect(t.state).toMatchObject({ enabled: false, nextDueAt: null, changedAt: 1500, skips: null });
    expect(t.events.map((e) => e.name)).toEqual(['cron:skipped', 'cron:disabled']);
    expect(t.effects).toEqual([{ type: 'disarm' }, { type: 'hook', hook: 'on_disable', values: {} }]);
  });

  it('disabling a disabled cron changes nothing (the timer is dropped all the same); no settings needed', () => {
    const s = blankCronState('gone', 0);
    const t = step(s, null, { type: 'disable' }, 10);
    expect(t.state).toBe(s);
    expect(t.events).toEqual([]);
    expect(t.effects).toEqual([{ type: 'disarm' }]);
  });
});

describe('cron slot: due', () => {
  it('a due slot runs: records the run with the next slot, emits cron:tick, runs on_tick and the run, re-arms', () => {
    const s = enabledAt(0);
    const t = step(s, settings, { type: 'due', live: idle }, 1040);
    expect(t.state).toMatchObject({ nextDueAt: 2000, lastRunAt: 1040, lastOutcome: 'running', lastError: null, lastPipeline: null, runs: 1 });
    expect(t.events).toEqual([{ name: 'cron:tick', data: { cron: 'tick', manual: false, scheduledAt: iso(1000), catchUp: false, monitors: ['health'] } }]);
    expect(t.effects).toEqual([
      { type: 'hook', hook: 'on_tick', values: {} },
      { type: 'run', scheduledAt: 1000, manual: false, catchUp: false },
      { type: 'arm', at: 2000 },
    ]);
  });

  it('a due slot whose previous run is under way is skipped: counted, not run, the next slot armed', () => {
    let s = enabledAt(0);
    s = step(s, settings, { type: 'due', live: idle }, 1000).state;
    s = step(s, settings, { type: 'pipelineStarted', pipeline: 'p-1' }, 1001).state;
    const busy: CronLive = { runningHere: false, pipelineActive: true };
    const first = step(s, settings, { type: 'due', live: busy }, 2000);
    expect(first.events).toEqual([]);
    expect(first.effects).toEqual([{ type: 'arm', at: 3000 }]);
    expect(first.state).toMatchObject({ runs: 1, nextDueAt: 3000, skips: { count: 1, firstAt: 2000, lastAt: 2000, pipeline: 'p-1' } });
    const second = step(first.state, settings, { type: 'due', live: busy }, 3000);
    expect(second.state.skips).toEqual({ count: 2, firstAt: 2000, lastAt: 3000, pipeline: 'p-1' });
    // The next run reports the run of skips as one event before its tick.
    const ran = step(second.state, settings, { type: 'due', live: idle }, 4000);
    expect(ran.events.map((e) => e.name)).toEqual(['cron:skipped', 'cron:tick']);
    expect(ran.events[0]!.data).toMatchObject({ count: 2, firstAt: iso(2000), lastAt: iso(3000), pipeline: 'p-1' });
    expect(ran.state.skips).toBeNull();
  });

  it('a timer that fires late (less than a minute) keeps the grid: the latest slot runs once, the ones before it are not missed', () => {
    const t = step(enabledAt(0), settings, { type: 'due', live: idle }, 5500);
    expect(t.events.map((e) => e.name)).toEqual(['cron:tick']);
    expect(t.events[0]!.data).toMatchObject({ scheduledAt: iso(5000), catchUp: false });
    expect(t.state.nextDueAt).toBe(6000);
  });

  it('a disabled cron does nothing when due; an enabled one no longer defined waits', () => {
    const off = blankCronState('tick', 0);
    expect(step(off, settings, { type: 'due', live: idle }, 10)).toEqual({ state: off, events: [], effects: [] });
    const s = enabledAt(0);
    expect(step(s, null, { type: 'due', live: idle }, 1000)).toEqual({ state: s, events: [], effects: [{ type: 'undefined' }] });
  });
});

describe('cron slot: busy', () => {
  it('is busy with a run here, or with the last run pipeline while it is under way', () => {
    const s: CronSlotState = { ...blankCronState('c', 0), lastOutcome: 'running', lastPipeline: 'p-1' };
    expect(busyWith(s, { runningHere: true, pipelineActive: false })).toBe(true);
    expect(busyWith(s, { runningHere: false, pipelineActive: true })).toBe('p-1');
    expect(busyWith(s, idle)).toBe(false);
    expect(busyWith({ ...s, lastOutcome: 'done' }, { runningHere: false, pipelineActive: true })).toBe(false);
  });
});

describe('cron slot: run now', () => {
  it('runs once, enabled or not, without touching the schedule', () => {
    const s = blankCronState('tick', 0);
    const t = step(s, settings, { type: 'runNow', live: idle }, 700);
    expect(t.state).toMatchObject({ enabled: false, nextDueAt: null, scheduleKey: '', runs: 1, lastOutcome: 'running', lastRunAt: 700 });
    expect(t.events).toEqual([{ name: 'cron:tick', data: { cron: 'tick', manual: true, scheduledAt: null, catchUp: false, monitors: ['health'] } }]);
    expect(t.effects).toEqual([
      { type: 'hook', hook: 'on_tick', values: {} },
      { type: 'run', scheduledAt: null, manual: true, catchUp: false },
    ]);
  });

  it('is refused while the previous run is under way', () => {
    const s: CronSlotState = { ...enabledAt(0), lastOutcome: 'running', lastPipeline: 'p-3' };
    expect(() => step(s, settings, { type: 'runNow', live: { runningHere: false, pipelineActive: true } }, 10)).toThrow(CronBusyError);
    expect(() => step(s, settings, { type: 'runNow', live: { runningHere: false, pipelineActive: true } }, 10)).toThrow('cron tick is still running (pipeline p-3)');
    expect(() => step(s, settings, { type: 'runNow', live: { runningHere: true, pipelineActive: false } }, 10)).toThrow(/still running$/);
  });
});

describe('cron slot: a run ends', () => {
  const running = (): CronSlotState => step(enabledAt(0), settings, { type: 'due', live: idle }, 1000).state;

  it('a shell or monitor run that ends records its outcome, emits it and runs on_complete or on_fail', () => {
    const done = step(running(), settings, { type: 'runEnded', outcome: 'done', error: null }, 1200);
    expect(done.state).toMatchObject({ lastOutcome: 'done', lastError: null });
    expect(done.events).toEqual([{ name: 'cron:complete', data: { cron: 'tick' } }]);
    expect(done.effects).toEqual([{ type: 'hook', hook: 'on_complete', values: { error: '', pipeline: '' } }]);
    const failed = step(running(), settings, { type: 'runEnded', outcome: 'failed', error: 'exit code 2' }, 1200);
    expect(failed.events).toEqual([{ name: 'cron:failed', data: { cron: 'tick', error: 'exit code 2' } }]);
    expect(failed.effects).toEqual([{ type: 'hook', hook: 'on_fail', values: { error: 'exit code 2', pipeline: '' } }]);
  });

  it('the pipeline of the current run settles it; a pipeline of an older run does not', () => {
    const s = step(running(), settings, { type: 'pipelineStarted', pipeline: 'p-7' }, 1001).state;
    expect(s.lastPipeline).toBe('p-7');
    const stale = step(s, settings, { type: 'pipelineEnded', pipeline: 'p-6', handle: 'p-6', status: 'failed', error: 'x' }, 1300);
    expect(stale.state).toBe(s);
    expect(stale.events).toEqual([]);
    const t = step(s, settings, { type: 'pipelineEnded', pipeline: 'p-7', handle: 'p-7', status: 'cancelled', error: 'stopped' }, 1300);
    expect(t.state).toMatchObject({ lastOutcome: 'failed', lastError: 'pipeline p-7 cancelled: stopped' });
    expect(t.events).toEqual([{ name: 'cron:failed', data: { cron: 'tick', pipeline: 'p-7', error: 'pipeline p-7 cancelled: stopped' } }]);
    expect(t.effects).toEqual([{ type: 'hook', hook: 'on_fail', values: { error: 'pipeline p-7 cancelled: stopped', pipeline: 'p-7' } }]);
    const ok = step(s, settings, { type: 'pipelineEnded', pipeline: 'p-7', handle: 'p-7', status: 'done', error: null }, 1300);
    expect(ok.events).toEqual([{ name: 'cron:complete', data: { cron: 'tick', pipeline: 'p-7' } }]);
  });
});

describe('cron slot: daemon restart (catch-up)', () => {
  it('slots missed while the daemon was down: one run, for the latest, then the grid goes on', () => {
    const s = enabledAt(0); // due at 1000
    const t = step(s, settings, { type: 'restart', live: idle }, 10_500);
    expect(t.state).toMatchObject({ nextDueAt: 11_000, runs: 1, lastOutcome: 'running' });
    expect(t.events).toEqual([
      { name: 'cron:missed', data: { cron: 'tick', firstAt: iso(1000), lastAt: iso(10_000), count: 10, catchUp: 'latest', runs: 1 } },
      { name: 'cron:tick', data: { cron: 'tick', manual: false, scheduledAt: iso(10_000), catchUp: true, monitors: ['health'] } },
    ]);
    expect(t.effects).toEqual([
      { type: 'hook', hook: 'on_tick', values: {} },
      { type: 'run', scheduledAt: 10_000, manual: false, catchUp: true },
      { type: 'arm', at: 11_000 },
    ]);
  });

  it('a slot still ahead is waited for; a missed slot whose pipeline is still under way is not run again', () => {
    const ahead = step(enabledAt(0), settings, { type: 'restart', live: idle }, 500);
    expect(ahead.events).toEqual([]);
    expect(ahead.effects).toEqual([{ type: 'arm', at: 1000 }]);
    let s = step(enabledAt(0), settings, { type: 'due', live: idle }, 1000).state;
    s = step(s, settings, { type: 'pipelineStarted', pipeline: 'p-1' }, 1000).state;
    const busy = step(s, settings, { type: 'restart', live: { runningHere: false, pipelineActive: true } }, 5500);
    expect(busy.events.map((e) => e.name)).toEqual(['cron:missed']);
    expect(busy.effects).toEqual([{ type: 'arm', at: 6000 }]);
    expect(busy.state).toMatchObject({ nextDueAt: 6000, runs: 1, skips: { count: 1, firstAt: 5000, lastAt: 5000, pipeline: 'p-1' } });
  });

  it('a shell run the previous daemon was doing ends as failed (no hook), enabled or not', () => {
    const s: CronSlotState = { ...blankCronState('tick', 0), lastOutcome: 'running', runs: 1 };
    const t = step(s, settings, { type: 'restart', live: idle }, 100);
    expect(t.state).toMatchObject({ lastOutcome: 'failed', lastError: 'the daemon stopped during this run' });
    expect(t.events).toEqual([{ name: 'cron:failed', data: { cron: 'tick', error: 'the daemon stopped during this run' } }]);
    expect(t.effects).toEqual([]);
  });

  it('a pipeline run is left to its pipeline; an enabled cron no longer defined waits', () => {
    const s: CronSlotState = { ...enabledAt(0), lastOutcome: 'running', lastPipeline: 'p-2' };
    const t = step(s, null, { type: 'restart', live: idle }, 100);
    expect(t).toEqual({ state: s, events: [], effects: [{ type: 'undefined' }] });
  });
});

describe('cron slot: reload and stop', () => {
  it('a changed interval takes effect at once: due no later than one new interval from now', () => {
    const s = enabledAt(0); // due at 1000 with 1s
    const shorter: CronSettings = { schedule: intervalSchedule(200, '200ms'), catchUp: latest, monitors: [] };
    const t = step({ ...s, nextDueAt: 50_000 }, shorter, { type: 'reload', armed: true }, 300);
    expect(t.state).toMatchObject({ scheduleKey: 'every 200ms', nextDueAt: 500 });
    expect(t.effects).toEqual([{ type: 'arm', at: 500 }]);
    const longer: CronSettings = { schedule: intervalSchedule(60_000, '1m'), catchUp: latest, monitors: [] };
    expect(step(s, longer, { type: 'reload', armed: true }, 300).state.nextDueAt).toBe(1000);
  });

  it('an unchanged, armed cron is left alone; an unarmed one is armed; a disabled one is not', () => {
    const s = enabledAt(0);
    expect(step(s, settings, { type: 'reload', armed: true }, 300).state).toBe(s);
    expect(step(s, settings, { type: 'reload', armed: false }, 300).effects).toEqual([{ type: 'arm', at: 1000 }]);
    const off = blankCronState('tick', 0);
    expect(step(off, settings, { type: 'reload', armed: false }, 300).effects).toEqual([]);
  });

  it('stopping reports a pending run of skips once, and nothing when there is none', () => {
    let s = enabledAt(0);
    s = step(s, settings, { type: 'due', live: { runningHere: true, pipelineActive: false } }, 1000).state;
    const t = step(s, settings, { type: 'stop' }, 1500);
    expect(t.events).toEqual([
      { name: 'cron:skipped', data: { cron: 'tick', reason: 'the previous run was still under way', count: 1, firstAt: iso(1000), lastAt: iso(1000) } },
    ]);
    expect(t.state.skips).toBeNull();
    expect(step(t.state, settings, { type: 'stop' }, 1600).events).toEqual([]);
  });
});
