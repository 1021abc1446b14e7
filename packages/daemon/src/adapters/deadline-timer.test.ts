import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineTimer } from './deadline-timer.js';

describe('DeadlineTimer', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('fires at the earliest deadline armed; a later one changes nothing', () => {
    const due = vi.fn();
    const t = new DeadlineTimer(Date.now, due);
    t.arm(Date.now() + 500);
    t.arm(Date.now() + 900);
    t.arm(Date.now() + 300);
    vi.advanceTimersByTime(299);
    expect(due).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(due).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10_000);
    expect(due).toHaveBeenCalledTimes(1);
  });

  it('waits at most maxWaitMs (Infinity: look again then) and at least minWaitMs', () => {
    const due = vi.fn();
    const t = new DeadlineTimer(Date.now, due, { maxWaitMs: 60_000, minWaitMs: 10 });
    t.arm(Infinity);
    vi.advanceTimersByTime(59_999);
    expect(due).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(due).toHaveBeenCalledTimes(1);
    t.arm(Date.now() - 5000);
    vi.advanceTimersByTime(9);
    expect(due).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(due).toHaveBeenCalledTimes(2);
  });

  it('cancel disarms and can be armed again; stop is for good', () => {
    const due = vi.fn();
    const t = new DeadlineTimer(Date.now, due);
    t.arm(Date.now() + 100);
    t.cancel();
    vi.advanceTimersByTime(1000);
    expect(due).not.toHaveBeenCalled();
    t.arm(Date.now() + 100);
    vi.advanceTimersByTime(100);
    expect(due).toHaveBeenCalledTimes(1);
    t.stop();
    t.arm(Date.now() + 100);
    vi.advanceTimersByTime(1000);
    expect(due).toHaveBeenCalledTimes(1);
  });
});
