import { describe, expect, it } from 'vitest';
import { duration, formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['4h', 14_400_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['1h30m', 5_400_000],
    ['1d2h3m4s5ms', 93_784_005],
    ['1.5h', 5_400_000],
    ['0s', 0],
  ])('accepts %s', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, duration: { text, ms } });
  });

  it.each([
    ['5 minutes', 'is not a duration'],
    ['-1s', 'is negative'],
    ['abc', 'is not a duration'],
    ['30', 'has no unit'],
    ['', 'empty duration'],
    ['1h 30m', 'is not a duration'],
    ['30m1h', 'largest first'],
    ['1s1s', 'largest first'],
    ['5M', 'is not a duration'],
    ['1hr', 'is not a duration'],
  ])('rejects %j', (text, message) => {
    const result = parseDuration(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toContain(message);
      expect(result.hint).not.toBe('');
    }
  });

  it('suggests a unit for a bare number', () => {
    const result = parseDuration('30');
    expect(result.ok ? '' : result.hint).toBe('add a unit, e.g. "30s" or "30m"');
  });

  it('duration() throws on bad input', () => {
    expect(() => duration('soon')).toThrow(/not a duration/);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [5_400_000, '1h30m'],
    [604_800_000, '1w'],
    [90_061_001, '1d1h1m1s1ms'],
  ])('%d -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toMatchObject({ ok: true, duration: { ms } });
  });
});
