import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from './did-you-mean.js';

describe('editDistance', () => {
  it.each([
    ['merge', 'merge', 0],
    ['mrege', 'merge', 1],
    ['merg', 'merge', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ])('%s / %s = %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('didYouMean', () => {
  it('suggests the closest candidate within the limit', () => {
    expect(didYouMean('pipline', ['pipeline', 'agent'])).toBe('did you mean "pipeline"?');
    expect(didYouMean('max_retires', ['retry', 'max_retries'])).toBe('did you mean "max_retries"?');
    expect(didYouMean('intervl', ['max', 'interval'])).toBe('did you mean "interval"?');
  });

  it('is case-insensitive', () => {
    expect(closest('Merge', ['merge', 'fix'])).toBe('merge');
  });

  it('stays quiet when nothing is close', () => {
    expect(didYouMean('zzz', ['pipeline', 'agent'])).toBeUndefined();
    expect(didYouMean('ab', ['xy'])).toBeUndefined();
  });

  it('never suggests the word itself', () => {
    expect(didYouMean('fix', ['fix'])).toBeUndefined();
  });
});
