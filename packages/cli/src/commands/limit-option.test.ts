import { describe, expect, it } from 'vitest';
import { checkLimit } from './limit-option.js';

describe('checkLimit', () => {
  it('takes whole numbers from 0 where 0 shows all, and nothing given', () => {
    const check = checkLimit('items');
    for (const limit of [undefined, 0, 1, 500]) expect(check({ limit })).toBe(true);
    for (const limit of [-1, 2.5, Number.NaN, 'x']) expect(check({ limit })).toBe('--limit takes a whole number of items, 0 or more (0 shows all)');
  });

  it('starts at 1 where there is no "all"', () => {
    const check = checkLimit('events', { zeroMeansAll: false });
    expect(check({ limit: 1 })).toBe(true);
    expect(check({ limit: 0 })).toBe('--limit takes a whole number of events, 1 or more');
  });
});
