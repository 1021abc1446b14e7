import { describe, expect, it } from 'vitest';
import { planExhaust, type ExhaustStep } from './exhaust.js';

const step = (action: string, id: string | null = null): ExhaustStep => ({ text: action, action, id, builtin: id === null });

describe('on_exhaust', () => {
  it('defaults to the dead-letter list', () => {
    expect(planExhaust([])).toEqual({ status: 'dead', escalate: false, actions: [], ignored: [] });
    expect(planExhaust([step('dead')]).status).toBe('dead');
  });

  it('escalate holds the item as dead and asks for a human; abandon gives up; requeue goes round again', () => {
    expect(planExhaust([step('escalate')])).toMatchObject({ status: 'dead', escalate: true });
    expect(planExhaust([step('abandon')]).status).toBe('abandoned');
    expect(planExhaust([step('escalate'), step('abandon')])).toMatchObject({ status: 'abandoned', escalate: true });
    expect(planExhaust([step('requeue')]).status).toBe('pending');
  });

  it('runs runbook actions and ignores steps that mean nothing for an item', () => {
    expect(planExhaust([step('notify', 'ops.action.notify'), step('nudge')])).toEqual({
      status: 'dead',
      escalate: false,
      actions: ['ops.action.notify'],
      ignored: ['nudge'],
    });
  });
});
