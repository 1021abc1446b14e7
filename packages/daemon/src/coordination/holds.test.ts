import { describe, expect, it } from 'vitest';
import { fitsNow, grantable, nextAttention, staleness } from './holds.js';

const w = (holder: string, weight = 1) => ({ holder, weight });

describe('grantable', () => {
  it('grants a lock to the head of the line only', () => {
    expect(grantable(1, [], [w('a'), w('b')]).map((x) => x.holder)).toEqual(['a']);
    expect(grantable(1, [w('x')], [w('a')])).toEqual([]);
  });
  it('grants waiters in order while they fit; the head blocks lighter ones behind it', () => {
    expect(grantable(4, [w('x', 1)], [w('a', 2), w('b', 1), w('c', 1)]).map((x) => x.holder)).toEqual(['a', 'b']);
    expect(grantable(4, [w('x', 2)], [w('a', 3), w('b', 1)])).toEqual([]);
  });
  it('fitsNow refuses to jump the line', () => {
    expect(fitsNow(4, [], 1, 1)).toBe(false);
    expect(fitsNow(4, [w('x', 3)], 0, 1)).toBe(true);
    expect(fitsNow(4, [w('x', 3)], 0, 2)).toBe(false);
  });
});

describe('staleness', () => {
  const h = { acquiredAt: 0, heartbeatAt: 1000, heartbeatMs: 2000, timeoutMs: 10_000 };
  it('is stale once silent past the window, unless the daemon heartbeats it', () => {
    expect(staleness(h, 3000, false).stale).toBe(false);
    const s = staleness(h, 3001, false);
    expect(s).toMatchObject({ stale: true, cause: 'heartbeat' });
    expect(staleness(h, 3001, true).stale).toBe(false);
  });
  it('times out whoever holds it', () => {
    expect(staleness({ ...h, heartbeatAt: 10_000 }, 10_001, true)).toMatchObject({ stale: true, cause: 'timeout' });
  });
  it('next attention: half a window for live holds, just past the window otherwise, or the timeout', () => {
    expect(nextAttention(h, true)).toBe(2000);
    expect(nextAttention(h, false)).toBe(3001);
    expect(nextAttention({ ...h, timeoutMs: 500 }, false)).toBe(501);
  });
});
