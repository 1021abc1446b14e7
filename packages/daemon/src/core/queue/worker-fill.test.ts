import { describe, expect, it } from 'vitest';
import { planPull, planRest, type PullView, type RestView } from './worker-fill.js';

const pull = (over: Partial<PullView> = {}): PullView => ({ source: true, free: 1, pending: false, pullingNow: false, pullRequested: false, justPulled: false, ...over });
const rest = (over: Partial<RestView> = {}): RestView => ({ source: true, took: 0, idle: false, pending: false, running: 0, pulling: false, idleAction: { type: 'wait', ms: 30_000 }, idleTimerArmed: false, ...over });

describe('a fill: pulling a source queue', () => {
  it('pulls when asked, or when there is room and nothing pending, but not twice in a row unasked', () => {
    expect(planPull(pull({ pullRequested: true, pending: true }))).toEqual({ startPull: true, pullRequested: false, justPulled: true });
    expect(planPull(pull())).toEqual({ startPull: true, pullRequested: false, justPulled: true });
    expect(planPull(pull({ justPulled: true }))).toEqual({ startPull: false, pullRequested: false, justPulled: false });
    expect(planPull(pull({ pending: true }))).toEqual({ startPull: false, pullRequested: false, justPulled: false });
  });

  it('no room or no source: no pull', () => {
    expect(planPull(pull({ free: 0, pullRequested: true })).startPull).toBe(false);
    expect(planPull(pull({ source: false, pullRequested: true })).startPull).toBe(false);
  });

  it('a request made while a pull is under way is kept for after it', () => {
    expect(planPull(pull({ pullingNow: true, pullRequested: true, justPulled: true }))).toEqual({ startPull: false, pullRequested: true, justPulled: true });
  });
});

describe('a fill: after taking', () => {
  it('work waiting for a slot: nothing else (the end of a pipeline wakes the worker)', () => {
    expect(planRest(rest({ pending: true, running: 2 }))).toEqual({ busy: false, becameIdle: false, stop: false, armIdleTimer: null });
  });

  it('taking after being idle makes it busy', () => {
    expect(planRest(rest({ took: 1, idle: true, pending: true })).busy).toBe(true);
  });

  it('nothing running, pending or being pulled: idle once, with the idle timer armed', () => {
    expect(planRest(rest())).toEqual({ busy: false, becameIdle: true, stop: false, armIdleTimer: 30_000 });
    expect(planRest(rest({ idle: true }))).toEqual({ busy: false, becameIdle: false, stop: false, armIdleTimer: 30_000 });
    expect(planRest(rest({ idle: true, idleTimerArmed: true })).armIdleTimer).toBeNull();
    expect(planRest(rest({ running: 1 })).becameIdle).toBe(false);
    expect(planRest(rest({ pulling: true })).becameIdle).toBe(false);
  });

  it('a queue without a source: idle with no timer (nothing to re-pull; every change wakes the worker)', () => {
    expect(planRest(rest({ source: false }))).toEqual({ busy: false, becameIdle: true, stop: false, armIdleTimer: null });
    expect(planRest(rest({ source: false, idle: true })).armIdleTimer).toBeNull();
  });

  it('idle_action = "stop": it stops when it becomes idle, and arms no timer', () => {
    expect(planRest(rest({ idleAction: { type: 'stop' } }))).toEqual({ busy: false, becameIdle: true, stop: true, armIdleTimer: null });
    expect(planRest(rest({ idleAction: { type: 'stop' }, running: 1 }))).toEqual({ busy: false, becameIdle: false, stop: false, armIdleTimer: null });
  });
});
