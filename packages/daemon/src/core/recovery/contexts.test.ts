import { describe, expect, it } from 'vitest';
import { BUILTIN_ACTIONS, actionOf, builtinStep, type ChainStep } from './actions.js';
import { RECOVERY_CONTEXTS, RECOVERY_CONTEXT_NAMES, acceptedText, actionIn, actionsIn, checkStep, hasBuiltin, supports } from './contexts.js';

const builtin = (action: string): ChainStep => ({ text: action, action, max: null, id: null, builtin: true });
const runbook = (action: string, id: string): ChainStep => ({ text: action, action, max: null, id, builtin: false });

describe('a step as an action', () => {
  it('is a built-in, a runbook action (its id), or by name for a step never resolved (an old stored chain)', () => {
    expect(actionOf(builtin('escalate'))).toEqual({ kind: 'builtin', name: 'escalate' });
    expect(actionOf(runbook('notify', 'ops.action.notify'))).toEqual({ kind: 'runbook', name: 'notify', id: 'ops.action.notify' });
    // A runbook [action.nudge] with its own run replaces the built-in...
    expect(actionOf(runbook('nudge', 'ops.action.nudge'))).toEqual({ kind: 'runbook', name: 'nudge', id: 'ops.action.nudge' });
    // ...a run-less one only tunes it: the step stays built-in.
    expect(actionOf({ ...runbook('nudge', 'ops.action.nudge'), builtin: true })).toEqual({ kind: 'builtin', name: 'nudge' });
    expect(actionOf({ action: 'cleanup', id: null, builtin: false })).toEqual({ kind: 'runbook', name: 'cleanup', id: 'cleanup' });
    expect(actionOf({ action: 'restart', id: null, builtin: false })).toEqual({ kind: 'builtin', name: 'restart' });
  });
});

describe('the contexts table', () => {
  it('names only built-in actions, each once; a monitor can run them all', () => {
    for (const name of RECOVERY_CONTEXT_NAMES) {
      const actions = RECOVERY_CONTEXTS[name].actions;
      expect(new Set(actions).size).toBe(actions.length);
      for (const a of actions) expect(BUILTIN_ACTIONS).toContain(a);
    }
    expect([...RECOVERY_CONTEXTS['monitor.response'].actions].sort()).toEqual([...BUILTIN_ACTIONS].sort());
  });

  it('every context can give a human the problem or give up, except the work of an orphaned slot', () => {
    for (const name of RECOVERY_CONTEXT_NAMES) {
      if (name === 'semaphore.on_orphan_work') continue;
      expect(supports(name, 'escalate') || supports(name, 'abandon'), name).toBe(true);
    }
  });

  it('each default chain of the runbook language runs in its context', () => {
    const defaults = {
      'agent.on_stuck': ['nudge', 'escalate'],
      'agent.on_timeout': ['escalate'],
      'guard.on_timeout': ['escalate'],
      'strategy.on_exhaust': ['escalate'],
      'lock.on_stale': ['release'],
      'semaphore.on_orphan': ['reclaim'],
      'semaphore.on_orphan_work': ['requeue'],
      'queue.on_exhaust': ['dead'],
    } as const;
    for (const [context, chain] of Object.entries(defaults)) {
      for (const a of chain) expect(checkStep(context as keyof typeof defaults, builtinStep(a))).toBeNull();
    }
  });

  it('narrows a step to its context: supported built-ins, runbook actions, the rest unsupported', () => {
    expect(actionIn('phase.on_fail', builtin('restart'))).toEqual({ kind: 'builtin', name: 'restart' });
    expect(actionIn('phase.on_fail', builtin('nudge'))).toEqual({ kind: 'unsupported', name: 'nudge' });
    expect(actionIn('phase.on_fail', runbook('nudge', 'a.action.nudge'))).toEqual({ kind: 'runbook', name: 'nudge', id: 'a.action.nudge' });
    expect(actionIn('queue.on_exhaust', builtin('dead'))).toEqual({ kind: 'builtin', name: 'dead' });
    expect(actionIn('agent.on_exit', builtin('nudge'))).toEqual({ kind: 'unsupported', name: 'nudge' });
  });

  it('narrows a whole chain in order; a runbook action named like a built-in is not the built-in', () => {
    const chain = actionsIn('lock.on_stale', [builtin('release'), runbook('escalate', 'a.action.escalate'), builtin('nudge')]);
    expect(chain).toEqual([
      { kind: 'builtin', name: 'release' },
      { kind: 'runbook', name: 'escalate', id: 'a.action.escalate' },
      { kind: 'unsupported', name: 'nudge' },
    ]);
    expect(hasBuiltin(chain, 'release')).toBe(true);
    expect(hasBuiltin(chain, 'escalate')).toBe(false);
  });

  it('says what a context accepts, and suggests abandon for dead where that gives up', () => {
    expect(acceptedText('guard.on_timeout')).toBe('restart, escalate, abandon or a runbook [action.x]');
    expect(checkStep('guard.on_timeout', builtin('nudge'))).toEqual({
      message: `the built-in action "nudge" cannot run in a guard's on_timeout`,
      hint: 'it accepts restart, escalate, abandon or a runbook [action.x]',
    });
    expect(checkStep('strategy.on_exhaust', builtin('dead'))!.hint).toMatch(/to give up, write abandon$/);
    expect(checkStep('lock.on_stale', builtin('abandon'))!.hint).not.toMatch(/give up/);
    expect(checkStep('lock.on_stale', runbook('abandon', 'x.action.abandon'))).toBeNull();
  });
});
