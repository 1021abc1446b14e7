import { describe, expect, it } from 'vitest';
import { ChainCursor } from './recovery-chain.js';

describe('ChainCursor', () => {
  it('walks nudge, restart:2, escalate one step per call, then is exhausted', () => {
    const c = new ChainCursor([
      { action: 'nudge', max: null },
      { action: 'restart', max: 2 },
      { action: 'escalate', max: null },
    ]);
    expect([c.next(), c.next(), c.next(), c.next(), c.next()]).toEqual(['nudge', 'restart', 'restart', 'escalate', null]);
    c.reset();
    expect(c.next()).toBe('nudge');
  });
});
