import { describe, expect, it } from 'vitest';
import { SkipTally } from './cron-skips.js';

describe('SkipTally: consecutive skipped cron ticks as one summary', () => {
  it('sums a run of skips into one count with its first and last due times', () => {
    const t = new SkipTally();
    for (let at = 1000; at <= 10_000; at += 1000) t.record('c', at, 'p-1');
    expect(t.take('c')).toEqual({ count: 10, firstAt: 1000, lastAt: 10_000, pipeline: 'p-1' });
    expect(t.take('c')).toBeNull();
  });

  it('starts a new run after take, and keeps crons apart', () => {
    const t = new SkipTally();
    t.record('a', 1, null);
    t.record('b', 1, null);
    t.record('a', 2, null);
    expect(t.keys().sort()).toEqual(['a', 'b']);
    expect(t.take('a')).toMatchObject({ count: 2 });
    t.record('a', 5, null);
    expect(t.take('a')).toEqual({ count: 1, firstAt: 5, lastAt: 5, pipeline: null });
    expect(t.take('b')).toMatchObject({ count: 1 });
    expect(t.keys()).toEqual([]);
  });
});
