import { describe, expect, it } from 'vitest';
import { alignedIntervalSchedule, intervalSchedule } from './schedule.js';
import { blankCronState, missedSlotsToAsk, slotToClaim, step } from './slot.js';
import type { CronLive, CronSettings, CronSlotState } from './types.js';

const settings: CronSettings = { schedule: intervalSchedule(1000, '1s'), catchUp: { policy: 'latest', max: 10 }, monitors: [] };
const all: CronSettings = { ...settings, catchUp: { policy: 'all', max: 10 } };
const idle: CronLive = { runningHere: false, pipelineActive: false };
const busy: CronLive = { runningHere: true, pipelineActive: false };
const enabled = (s: CronSettings = settings): CronSlotState => step(blankCronState('tick', 0), s, { type: 'enable', armed: false }, 0).state;
const runs = (t: ReturnType<typeof step>) => t.effects.filter((e) => e.type === 'run');

describe('cron slot in a cluster', () => {
  it('a slot another daemon claimed does not run here: no tick, no run, the next slot armed', () => {
    const s = enabled();
    expect(slotToClaim(s, settings, 'due', 1040)).toBe(1000);
    const t = step(s, settings, { type: 'due', live: idle, claim: { slot: 1000, mine: false } }, 1040);
    expect(t.state).toMatchObject({ nextDueAt: 2000, runs: 0, lastRunAt: null });
    expect(t.events).toEqual([]);
    expect(t.effects).toEqual([{ type: 'arm', at: 2000 }]);
  });

  it('the slot this daemon claimed runs; a claim of another slot (or none) is not a claim of this one', () => {
    const s = enabled();
    const mine = step(s, settings, { type: 'due', live: idle, claim: { slot: 1000, mine: true } }, 1040);
    expect(runs(mine)).toEqual([{ type: 'run', scheduledAt: 1000, manual: false, catchUp: false }]);
    expect(runs(step(s, settings, { type: 'due', live: idle, claim: { slot: 2000, mine: true } }, 1040))).toEqual([]);
    expect(runs(step(s, settings, { type: 'due', live: idle, claim: null }, 1040))).toEqual([]);
  });

  it('a claimed slot whose previous run is under way is skipped here, as on one daemon', () => {
    const t = step(enabled(), settings, { type: 'due', live: busy, claim: { slot: 1000, mine: true } }, 1040);
    expect(runs(t)).toEqual([]);
    expect(t.state.skips).toMatchObject({ count: 1, firstAt: 1000 });
  });

  it('a missed slot another daemon claimed is not caught up at restart, nor reported missed here', () => {
    const s = enabled();
    // catch_up = "latest": the slot claimed is the most recent missed one, not the stored due slot.
    expect(slotToClaim(s, settings, 'restart', 5500)).toBe(5000);
    const mine = step(s, settings, { type: 'restart', live: idle, claim: { slot: 5000, mine: true } }, 5500);
    expect(runs(mine)).toEqual([{ type: 'run', scheduledAt: 5000, manual: false, catchUp: true }]);
    expect(mine.events.map((e) => e.name)).toEqual(['cron:missed', 'cron:tick']);
    const theirs = step(s, settings, { type: 'restart', live: idle, claim: { slot: 5000, mine: false } }, 5500);
    expect(runs(theirs)).toEqual([]);
    expect(theirs.events).toEqual([]);
    expect(theirs.state.nextDueAt).toBe(mine.state.nextDueAt);
  });

  it('catch_up = "all": each backlog slot is claimed like any slot; one another daemon claimed is passed at once', () => {
    const s = enabled(all);
    expect(slotToClaim(s, all, 'restart', 3500)).toBe(1000);
    const first = step(s, all, { type: 'restart', live: idle, claim: { slot: 1000, mine: true } }, 3500);
    expect(runs(first)).toEqual([{ type: 'run', scheduledAt: 1000, manual: false, catchUp: true }]);
    expect(first.state).toMatchObject({ nextDueAt: 2000, catchUpUntil: 3000 });
    const ended = step(first.state, all, { type: 'runEnded', outcome: 'done', error: null }, 3600).state;
    expect(slotToClaim(ended, all, 'due', 3600)).toBe(2000);
    const passed = step(ended, all, { type: 'due', live: busy, claim: { slot: 2000, mine: false } }, 3600);
    expect(runs(passed)).toEqual([]);
    expect(passed.state).toMatchObject({ nextDueAt: 3000, catchUpUntil: 3000 });
    expect(passed.effects).toEqual([{ type: 'arm', at: 3000 }]);
    const last = step(passed.state, all, { type: 'due', live: idle, claim: { slot: 3000, mine: true } }, 3700);
    expect(runs(last)).toEqual([{ type: 'run', scheduledAt: 3000, manual: false, catchUp: true }]);
    expect(last.state).toMatchObject({ nextDueAt: 4000, catchUpUntil: null });
  });

  it('nothing to claim while the due slot is ahead', () => {
    expect(slotToClaim(enabled(), settings, 'due', 500)).toBeNull();
  });

  it('aligned slots fall on the epoch grid, the same slots whenever each daemon enabled the cron', () => {
    const a = alignedIntervalSchedule(1000, '1s');
    expect(a.first(12_345)).toBe(13_000);
    expect(a.first(12_999)).toBe(13_000);
    expect(a.first(13_000)).toBe(14_000);
    expect(a.nextAfter(13_000, 15_500)).toBe(16_000);
    expect(a.latestUpTo(13_000, 15_500)).toBe(15_000);
    // A cron planned off the grid (before cluster mode) is planned anew on it.
    expect(a.key).not.toBe(intervalSchedule(1000, '1s').key);
    expect(a.replan(12_345, 12_400)).toBe(13_000);
  });
});

describe('missed slots in a cluster', () => {
  const none: CronSettings = { ...settings, catchUp: { policy: 'none', max: 10 } };
  const missed = (t: ReturnType<typeof step>) => t.events.find((e) => e.name === 'cron:missed')?.data;

  it('names the slots to ask about: every slot that passed unrun, newest first (none when nothing was missed)', () => {
    expect(missedSlotsToAsk(enabled(), settings, 'restart', 4500)).toEqual([4000, 3000, 2000, 1000]);
    expect(missedSlotsToAsk(enabled(), settings, 'due', 1040)).toEqual([]);
    expect(missedSlotsToAsk({ ...enabled(), enabled: false }, settings, 'restart', 4500)).toEqual([]);
  });

  it('slots another daemon ran are not reported missed by a daemon that was down', () => {
    const s = enabled(none);
    const alone = step(s, none, { type: 'restart', live: idle, claim: null }, 4500);
    expect(missed(alone)).toMatchObject({ count: 4, firstAt: new Date(1000).toISOString(), lastAt: new Date(4000).toISOString() });
    const some = step(s, none, { type: 'restart', live: idle, claim: null, elsewhere: [4000, 1000] }, 4500);
    expect(missed(some)).toMatchObject({ count: 2, firstAt: new Date(2000).toISOString(), lastAt: new Date(3000).toISOString(), runs: 0 });
    const all = step(s, none, { type: 'restart', live: idle, claim: null, elsewhere: [1000, 2000, 3000, 4000] }, 4500);
    expect(missed(all)).toBeUndefined();
    expect(all.state.nextDueAt).toBe(5000);
  });

  it('catch_up = "all" catches up only the slots no daemon ran', () => {
    const s = enabled(all);
    expect(slotToClaim(s, all, 'restart', 4500, [1000, 2000])).toBe(3000);
    const t = step(s, all, { type: 'restart', live: idle, claim: { slot: 3000, mine: true }, elsewhere: [1000, 2000] }, 4500);
    expect(runs(t)).toEqual([{ type: 'run', scheduledAt: 3000, manual: false, catchUp: true }]);
    expect(missed(t)).toMatchObject({ count: 2, runs: 2, firstAt: new Date(3000).toISOString() });
    const ranAll = step(s, all, { type: 'restart', live: idle, claim: null, elsewhere: [1000, 2000, 3000, 4000] }, 4500);
    expect(runs(ranAll)).toEqual([]);
    expect(missed(ranAll)).toBeUndefined();
    expect(ranAll.state).toMatchObject({ nextDueAt: 5000, catchUpUntil: null });
  });

  it('catch_up = "latest": the latest slot another daemon ran is not run again; the rest no daemon ran are reported by none (no run here)', () => {
    const s = enabled();
    const t = step(s, settings, { type: 'restart', live: idle, claim: { slot: 4000, mine: false }, elsewhere: [4000] }, 4500);
    expect(runs(t)).toEqual([]);
    expect(missed(t)).toBeUndefined();
  });
});

describe('a restart in a cluster', () => {
  const clustered: CronSettings = { ...settings, catchUp: { policy: 'none', max: 10 }, restartGraceMs: 2500 };
  const missed = (t: ReturnType<typeof step>) => t.events.find((e) => e.name === 'cron:missed')?.data;

  it('slots that passed less than a host lease ago are late, not missed: another daemon may still be claiming them; the latest is claimed like any slot', () => {
    const s = enabled(clustered);
    // Down from slot 1000 to 6500: slots 1000..4000 are missed (4000 passed a lease ago), 5000 and 6000 are late.
    expect(missedSlotsToAsk(s, clustered, 'restart', 6500)).toEqual([4000, 3000, 2000, 1000]);
    expect(slotToClaim(s, clustered, 'restart', 6500, [])).toBe(6000);
    const t = step(s, clustered, { type: 'restart', live: idle, claim: { slot: 6000, mine: false }, elsewhere: [1000, 2000] }, 6500);
    // Of the missed ones, those another daemon ran are not reported; the late on-time slot went to the daemon that claimed it.
    expect(missed(t)).toMatchObject({ count: 2, firstAt: new Date(3000).toISOString(), lastAt: new Date(4000).toISOString() });
    expect(runs(t)).toEqual([]);
    expect(t.state.nextDueAt).toBe(7000);
  });
});
