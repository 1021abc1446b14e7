import { describe, expect, it } from 'vitest';
import { TIME_UNITS, formatAgo, formatDue, formatDuration } from './time.js';

const { SECOND, MINUTE, HOUR, DAY } = TIME_UNITS;

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [499, '0s'],
    [500, '1s'],
    [59 * SECOND + 499, '59s'],
    [59 * SECOND + 500, '1m'],
    [MINUTE + 29 * SECOND, '1m 29s'],
    [59 * MINUTE + 59 * SECOND + 499, '59m 59s'],
    [59 * MINUTE + 59 * SECOND + 500, '1h'],
    [HOUR + 29 * SECOND, '1h'],
    [HOUR + 31 * SECOND, '1h 1m'],
    [23 * HOUR + 59 * MINUTE + 29 * SECOND, '23h 59m'],
    [23 * HOUR + 59 * MINUTE + 30 * SECOND, '1d'],
    [DAY + 29 * MINUTE, '1d'],
    [DAY + 30 * MINUTE, '1d 1h'],
    [7 * DAY - 300, '7d'],
    [7 * DAY - 2 * SECOND, '7d'],
    [7 * DAY - 29 * MINUTE, '7d'],
    [7 * DAY - 31 * MINUTE, '6d 23h'],
    [6 * DAY + 23 * HOUR + 20 * MINUTE, '6d 23h'],
    [-5000, '0s'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatAgo and formatDue', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('a 7-day retention that has just started reads "in 7d" on either side of the second it started', () => {
    expect(formatAgo(now + 7 * DAY, now)).toBe('in 7d');
    expect(formatAgo(now + 7 * DAY - 900, now)).toBe('in 7d');
    expect(formatAgo(now + 7 * DAY - 1100, now)).toBe('in 7d');
  });
  it('past times read "ago", future ones "in"', () => {
    expect(formatAgo(new Date(now - 12 * SECOND).toISOString(), now)).toBe('12s ago');
    expect(formatAgo(now + 5 * MINUTE, now)).toBe('in 5m');
  });
  it('a due time that has come reads "due"', () => {
    expect(formatDue(now - 3 * SECOND, now)).toBe('due');
    expect(formatDue(now + 400, now)).toBe('due');
    expect(formatDue(now + 600, now)).toBe('in 1s');
    expect(formatDue(now + 90 * SECOND, now)).toBe('in 1m 30s');
  });
});
