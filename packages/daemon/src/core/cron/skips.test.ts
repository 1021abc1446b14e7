import { describe, expect, it } from 'vitest';
import { recordSkip, skippedEvent } from './skips.js';
import type { SkipRun } from './types.js';

describe('skipped ticks summed up as one run', () => {
  it('sums a run of skips into one count with its first and last due times', () => {
    let run: SkipRun | null = null;
    for (let at = 1000; at <= 10_000; at += 1000) run = recordSkip(run, at, 'p-1');
    expect(run).toEqual({ count: 10, firstAt: 1000, lastAt: 10_000, pipeline: 'p-1' });
  });

  it('keeps the first pipeline seen, and takes one when the run started without', () => {
    expect(recordSkip(recordSkip(null, 1, 'p-1'), 2, 'p-2').pipeline).toBe('p-1');
    expect(recordSkip(recordSkip(null, 1, null), 2, 'p-2').pipeline).toBe('p-2');
  });

  it('does not change the run it is given', () => {
    const first = recordSkip(null, 1, null);
    recordSkip(first, 2, null);
    expect(first).toEqual({ count: 1, firstAt: 1, lastAt: 1, pipeline: null });
  });

  it('reports a run as one cron:skipped event (the pipeline only when there is one)', () => {
    expect(skippedEvent('nightly', { count: 3, firstAt: 0, lastAt: 2000, pipeline: 'p-9' })).toEqual({
      name: 'cron:skipped',
      data: {
        cron: 'nightly',
        reason: 'the previous run was still under way',
        count: 3,
        firstAt: '1970-01-01T00:00:00.000Z',
        lastAt: '1970-01-01T00:00:02.000Z',
        pipeline: 'p-9',
      },
    });
    expect(skippedEvent('nightly', { count: 1, firstAt: 0, lastAt: 0, pipeline: null }).data).not.toHaveProperty('pipeline');
  });
});
