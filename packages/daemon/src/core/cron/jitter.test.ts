import { describe, expect, it } from 'vitest';
import { jitterOffset } from './jitter.js';

describe('jitter', () => {
  it('is the same for the same cron, in [0, jitter), in whole seconds', () => {
    const a = jitterOffset('/home/me/proj\0nightly', 300_000);
    expect(jitterOffset('/home/me/proj\0nightly', 300_000)).toBe(a);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(300_000);
    expect(a % 1000).toBe(0);
  });

  it('spreads the crons of ten projects over the window', () => {
    const offsets = new Set(Array.from({ length: 10 }, (_, i) => jitterOffset(`/srv/project-${i}\0janitor`, 300_000)));
    expect(offsets.size).toBeGreaterThanOrEqual(8);
  });

  it('no jitter is no offset; under a second it is in milliseconds', () => {
    expect(jitterOffset('x', 0)).toBe(0);
    expect(jitterOffset('x', 500)).toBeLessThan(500);
  });
});
