import { describe, expect, it } from 'vitest';
import { parseProgress, takeStep } from './chain-cursor.js';

describe('chain cursor', () => {
  const chain = [{ action: 'restart', max: 2 }, { action: 'escalate', max: null }];
  it('takes a step N times, then moves on, then is exhausted', () => {
    let p = parseProgress('{}');
    const taken: string[] = [];
    for (;;) {
      const t = takeStep(chain, p);
      if (!t) break;
      taken.push(t.step.action);
      p = t.progress;
    }
    expect(taken).toEqual(['restart', 'restart', 'escalate']);
    expect(parseProgress(JSON.stringify(p))).toEqual(p);
    expect(parseProgress('not json')).toEqual({ step: 0, used: 0 });
  });
});
