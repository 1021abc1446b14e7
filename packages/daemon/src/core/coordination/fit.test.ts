import { describe, expect, it } from 'vitest';
import { fitsNow, grantable, used } from './fit.js';
import { nextAttention, staleNow, staleness } from './staleness.js';

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
  it('counts units in use', () => {
    expect(used([w('a', 2), w('b', 3)])).toBe(5);
    expect(used([])).toBe(0);
  });
});

describe('staleness', () => {
  const h = { acquiredAt: 0, heartbeatAt: 1000, heartbeatMs: 2000, timeoutMs: 10_000 };
  it('is stale once silent past the window, unless the daemon heartbeats it', () => {
    expect(staleness(h, 3000, false).stale).toBe(false);
    const s = staleness(h, 3001, false);
    expect(s).toMatchObject({ stale: true, cause: 'heartbeat', reason: 'no heartbeat for 2s (window 2s)' });
    expect(staleness(h, 3001, true).stale).toBe(false);
  });
  it('times out whoever holds it', () => {
    expect(staleness({ ...h, heartbeatAt: 10_000 }, 10_001, true)).toMatchObject({ stale: true, cause: 'timeout', reason: 'held for 10s (timeout 10s)' });
  });
  it('a hold marked stale stays stale with its reason until a heartbeat clears the mark', () => {
    expect(staleNow({ ...h, staleAt: 5, staleReason: 'gone' }, 1001, false)).toEqual({ stale: true, reason: 'gone' });
    expect(staleNow({ ...h, staleAt: null, staleReason: null }, 1001, false)).toEqual({ stale: false, reason: null });
  });
  it('next attention: half a window for live holds, just past the window otherwise, or the timeout', () => {
    expect(nextAttention(h, true)).toBe(2000);
    expect(nextAttention(h, false)).toBe(3001);
    expect(nextAttention({ ...h, timeoutMs: 500 }, false)).toBe(501);
  });
});
