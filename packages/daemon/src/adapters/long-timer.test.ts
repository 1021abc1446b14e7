import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_DELAY_MS, setLongTimeout } from './long-timer.js';

const DAY = 24 * 60 * 60 * 1000;

describe('setLongTimeout', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a 30-day wait does not fire early (past the 2^31-1 ms a Node timer holds) and fires at 30 days', () => {
    const fn = vi.fn();
    const t = setLongTimeout(fn, 30 * DAY);
    vi.advanceTimersByTime(1);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * DAY - MAX_TIMER_DELAY_MS - 2);
    expect(fn).not.toHaveBeenCalled();
    expect(t.pending).toBe(true);
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(t.pending).toBe(false);
    vi.advanceTimersByTime(100 * DAY);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('waits of several maximal chunks add up exactly', () => {
    const fn = vi.fn();
    setLongTimeout(fn, 3 * MAX_TIMER_DELAY_MS + 5);
    vi.advanceTimersByTime(3 * MAX_TIMER_DELAY_MS + 4);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('a short wait is one ordinary timer', () => {
    const fn = vi.fn();
    setLongTimeout(fn, 250);
    vi.advanceTimersByTime(249);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('cancel stops it in any chunk', () => {
    const fn = vi.fn();
    const t = setLongTimeout(fn, 30 * DAY);
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS + 10);
    t.cancel();
    expect(t.pending).toBe(false);
    vi.advanceTimersByTime(60 * DAY);
    expect(fn).not.toHaveBeenCalled();
    t.cancel();
  });

  it('Infinity never fires; negative and NaN fire at once', () => {
    const never = vi.fn();
    const soon = vi.fn();
    setLongTimeout(never, Infinity);
    setLongTimeout(soon, -5);
    setLongTimeout(soon, Number.NaN);
    vi.advanceTimersByTime(1);
    expect(soon).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1000 * DAY);
    expect(never).not.toHaveBeenCalled();
  });

  it('cancel leaves no timer behind (unref or not)', () => {
    const t = setLongTimeout(() => undefined, 30 * DAY, { unref: true });
    expect(vi.getTimerCount()).toBe(1);
    t.cancel();
    expect(vi.getTimerCount()).toBe(0);
  });
});
