import { describe, expect, it } from 'vitest';
import { alignedIntervalSchedule, intervalSchedule } from './schedule.js';
import { blankCronState, step } from './slot.js';
import type { CronLive, CronSettings } from './types.js';

const settings: CronSettings = { schedule: intervalSchedule(1000, '1s'), intervalMs: 1000, monitors: [] };
const idle: CronLive = { runningHere: false, pipelineActive: false };

describe('cron slot in a cluster', () => {
  it('a slot another daemon claimed does not run here: no tick, no run, the next slot armed', () => {
    const s = step(blankCronState('tick', 0), settings, { type: 'enable', armed: false }, 0).state;
    const t = step(s, settings, { type: 'due', live: idle, claimed: false }, 1040);
    expect(t.state).toMatchObject({ nextDueAt: 2000, runs: 0, lastRunAt: null });
    expect(t.events).toEqual([]);
    expect(t.effects).toEqual([{ type: 'arm', at: 2000 }]);
  });

  it('a missed slot another daemon claimed is not caught up at restart', () => {
    const s = step(blankCronState('tick', 0), settings, { type: 'enable', armed: false }, 0).state;
    const mine = step(s, settings, { type: 'restart', live: idle }, 5500);
    expect(mine.effects.some((e) => e.type === 'run')).toBe(true);
    const theirs = step(s, settings, { type: 'restart', live: idle, claimed: false }, 5500);
    expect(theirs.effects.some((e) => e.type === 'run')).toBe(false);
    expect(theirs.state.nextDueAt).toBe(mine.state.nextDueAt);
  });

  it('aligned slots fall on the epoch grid, the same slots whenever each daemon enabled the cron', () => {
    const a = alignedIntervalSchedule(1000, '1s');
    expect(a.first(12_345)).toBe(13_000);
    expect(a.first(12_999)).toBe(13_000);
    expect(a.first(13_000)).toBe(14_000);
    expect(a.nextAfter(13_000, 15_500)).toBe(16_000);
  });
});
