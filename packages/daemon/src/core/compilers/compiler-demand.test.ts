import { describe, expect, it } from 'vitest';
import { DEMAND_UNITS, DEMAND_WINDOW_MS, IDLE_DEMAND, noteWork, type CompilerDemand } from './compiler-demand.js';

function work(state: CompilerDemand, times: number[]): CompilerDemand {
  return times.reduce(noteWork, state);
}

describe('compiler demand', () => {
  it('turns busy on the unit that reaches the threshold within one window', () => {
    const before = work(IDLE_DEMAND, Array.from({ length: DEMAND_UNITS - 1 }, (_, i) => 5000 + i));
    expect(before.busy).toBe(false);
    expect(noteWork(before, 5000 + DEMAND_WINDOW_MS - 1).busy).toBe(true);
  });

  it('an idle rate never gets there: each window starts counting again', () => {
    // Ten units a second for an hour.
    const times = Array.from({ length: 36_000 }, (_, i) => i * 100);
    const state = work(IDLE_DEMAND, times);
    expect(state.busy).toBe(false);
    expect(state.units).toBeLessThanOrEqual(10);
  });

  it('the same number of units spread over two windows is not busy', () => {
    const half = DEMAND_UNITS / 2 + 1;
    const first = work(IDLE_DEMAND, Array.from({ length: half }, () => 0));
    const second = work(first, Array.from({ length: half }, () => DEMAND_WINDOW_MS));
    expect(second.busy).toBe(false);
    expect(second.units).toBe(half);
  });

  it('stays busy once busy', () => {
    const busy = work(IDLE_DEMAND, Array.from({ length: DEMAND_UNITS }, () => 0));
    expect(busy.busy).toBe(true);
    expect(noteWork(busy, 10 * DEMAND_WINDOW_MS)).toBe(busy);
  });
});
