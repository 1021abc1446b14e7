import { describe, expect, it } from 'vitest';
import { FRESH, afterAct, afterSkip, allowance, decide, recovered, type Progress, type StepSpec } from './chain.js';

const steps: StepSpec[] = [
  { action: 'nudge', allowance: 1, cooldownMs: 1000 },
  { action: 'restart', allowance: 2, cooldownMs: 2000 },
  { action: 'escalate', allowance: 1, cooldownMs: 0 },
];

/** Runs the chain for an item that keeps matching, one call per tick. */
function walk(ticks: number[]): string[] {
  let p: Progress = FRESH;
  const out: string[] = [];
  for (const now of ticks) {
    const d = decide(steps, p, now);
    if (d.kind === 'act') {
      out.push(`${now}:${d.action}${d.of > 1 ? `${d.attempt}/${d.of}` : ''}`);
      p = afterAct(steps, d, now);
    } else out.push(`${now}:${d.kind}`);
  }
  return out;
}

describe('chain progress', () => {
  it('takes one step per tick, honouring cooldowns and :N', () => {
    expect(walk([0, 500, 1000, 2000, 3000, 4000, 5000, 6000])).toEqual([
      '0:nudge',
      '500:wait',
      '1000:restart1/2',
      '2000:wait',
      '3000:restart2/2',
      '4000:wait',
      '5000:escalate',
      '6000:exhausted',
    ]);
  });
  it('marks the chain exhausted with its last step', () => {
    const d = decide([{ action: 'escalate', allowance: 1, cooldownMs: 0 }], FRESH, 0);
    expect(d.kind).toBe('act');
    if (d.kind === 'act') expect(afterAct([{ action: 'escalate', allowance: 1, cooldownMs: 0 }], d, 0).exhausted).toBe(true);
  });
  it('skips a step that does not apply without waiting', () => {
    const d = decide(steps, FRESH, 0);
    if (d.kind !== 'act') throw new Error('expected act');
    const p = afterSkip(steps, d);
    expect(decide(steps, p, 0)).toMatchObject({ kind: 'act', action: 'restart' });
  });
  it('a clear item recovers only once its cooldown has passed', () => {
    const d = decide(steps, FRESH, 0);
    if (d.kind !== 'act') throw new Error('expected act');
    const p = afterAct(steps, d, 0);
    expect(recovered(p, 500)).toBe(false);
    expect(recovered(p, 1000)).toBe(true);
  });
  it('allowance: :N and max_attempts, the smaller; else once', () => {
    expect(allowance(2, null)).toBe(2);
    expect(allowance(null, 3)).toBe(3);
    expect(allowance(2, 3)).toBe(2);
    expect(allowance(null, null)).toBe(1);
  });
});
