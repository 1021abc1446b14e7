import { describe, expect, it } from 'vitest';
import { START, allowance, exhausted, parseCursor, peekStep, skipStep, takeStep, type Cursor } from './cursor.js';

const chain = [
  { action: 'nudge', max: null },
  { action: 'restart', max: 2 },
  { action: 'escalate', max: null },
];

/** Takes steps until the chain is exhausted; each as `action attempt/of`. */
function walk(steps: readonly { action: string; max: number | null }[], from: Cursor = START): string[] {
  const out: string[] = [];
  let cursor = from;
  for (;;) {
    const t = takeStep(steps, cursor);
    if (!t) return out;
    out.push(`${t.step.action} ${t.attempt}/${t.of}`);
    cursor = t.cursor;
  }
}

describe('the chain cursor', () => {
  it('takes each step as often as its :N allows (else once), in order, then is exhausted', () => {
    expect(walk(chain)).toEqual(['nudge 1/1', 'restart 1/2', 'restart 2/2', 'escalate 1/1']);
  });

  it('an empty chain is exhausted from the start', () => {
    expect(takeStep([], START)).toBeNull();
    expect(exhausted([], START)).toBe(true);
  });

  it('peek does not move; take moves to the use it reports', () => {
    const first = takeStep(chain, START)!;
    expect(peekStep(chain, first.cursor)).toEqual({ step: chain[1], index: 1, attempt: 1, of: 2 });
    expect(takeStep(chain, first.cursor)!.cursor).toEqual({ step: 1, used: 1 });
  });

  it('a skipped step gives way to the next at once, whatever its allowance left', () => {
    expect(walk(chain, skipStep(1))).toEqual(['escalate 1/1']);
    expect(exhausted(chain, skipStep(2))).toBe(true);
  });

  it('a cursor survives being stored; an unreadable one starts over', () => {
    const mid = takeStep(chain, takeStep(chain, START)!.cursor)!.cursor;
    expect(parseCursor(JSON.stringify(mid))).toEqual(mid);
    expect(walk(chain, parseCursor(JSON.stringify(mid)))).toEqual(['restart 2/2', 'escalate 1/1']);
    expect(parseCursor('not json')).toEqual(START);
    expect(parseCursor(null)).toEqual(START);
    expect(parseCursor('{"step":"x"}')).toEqual(START);
  });

  it('never takes more steps than the allowances add up to, from any cursor (property)', () => {
    for (let a = 1; a <= 3; a++) {
      for (let b = 1; b <= 3; b++) {
        const steps = [
          { action: 'x', max: a },
          { action: 'y', max: b === 1 ? null : b },
        ];
        for (let step = 0; step <= 2; step++) {
          for (let used = 0; used <= 3; used++) {
            const left = walk(steps, { step, used }).length;
            const total = steps.slice(step).reduce((n, s, i) => n + Math.max(0, allowance(s.max) - (i === 0 ? used : 0)), 0);
            expect(left).toBe(total);
          }
        }
      }
    }
  });

  it('allowance: :N and max_attempts, the smaller; else once', () => {
    expect(allowance(2, null)).toBe(2);
    expect(allowance(null, 3)).toBe(3);
    expect(allowance(2, 3)).toBe(2);
    expect(allowance(null)).toBe(1);
  });
});
