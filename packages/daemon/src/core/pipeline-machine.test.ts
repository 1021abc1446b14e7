import { describe, expect, it } from 'vitest';
import { IllegalTransitionError, step, type PipelineEffect, type PipelineEvent } from './pipeline-machine.js';
import { newPipelineState, type PipelinePlan, type PipelineState } from './pipeline-state.js';

const plan = (over: Partial<PipelinePlan> = {}): PipelinePlan => ({
  phases: [{ name: 'build' }, { name: 'test' }, { name: 'merge' }],
  maxPhaseVisits: 5,
  needsWorkspace: false,
  ...over,
});

function run(p: PipelinePlan, events: PipelineEvent[], start: PipelineState = newPipelineState('p1', 0)) {
  let s = start;
  const effects: PipelineEffect[] = [];
  let now = 0;
  for (const e of events) {
    const t = step(p, s, e, (now += 1000));
    s = t.state;
    effects.push(...t.effects);
  }
  return { s, effects };
}

const emitted = (effects: PipelineEffect[]) => effects.flatMap((e) => (e.type === 'emit' ? [e.name] : []));
const started = (effects: PipelineEffect[]) => effects.flatMap((e) => (e.type === 'startPhase' ? [`${e.phase}#${e.run}`] : []));

describe('pipeline machine', () => {
  it('runs phases in file order and completes', () => {
    const { s, effects } = run(plan(), [
      { type: 'start' },
      { type: 'phaseSucceeded', run: 1 },
      { type: 'phaseSucceeded', run: 2 },
      { type: 'phaseSucceeded', run: 3 },
    ]);
    expect(s.status).toBe('done');
    expect(s.finishedAt).toBe(4000);
    expect(started(effects)).toEqual(['build#1', 'test#2', 'merge#3']);
    expect(emitted(effects)).toEqual([
      'pipeline:started',
      'pipeline:phase',
      'pipeline:p1:build',
      'pipeline:phase',
      'pipeline:p1:test',
      'pipeline:phase',
      'pipeline:p1:merge',
      'pipeline:complete',
      'pipeline:p1:complete',
    ]);
    expect(effects.at(-1)).toEqual({ type: 'finished', status: 'done' });
  });

  it('follows next over file order', () => {
    const p = plan({ phases: [{ name: 'a', next: 'c' }, { name: 'b' }, { name: 'c' }] });
    const { effects } = run(p, [{ type: 'start' }, { type: 'phaseSucceeded', run: 1 }, { type: 'phaseSucceeded', run: 2 }]);
    expect(started(effects)).toEqual(['a#1', 'c#2']);
  });

  it('loops through on_fail = phase until it passes, and trips the circuit breaker on a runaway loop', () => {
    const p = plan({
      phases: [{ name: 'fix', next: 'verify' }, { name: 'verify', onFail: { kind: 'phase', phase: 'fix' } }],
      maxPhaseVisits: 3,
    });
    const ok = run(p, [
      { type: 'start' },
      { type: 'phaseSucceeded', run: 1 },
      { type: 'phaseFailed', run: 2, error: 'tests failed' },
      { type: 'phaseSucceeded', run: 3 },
      { type: 'phaseSucceeded', run: 4 },
    ]);
    expect(ok.s.status).toBe('done');
    expect(started(ok.effects)).toEqual(['fix#1', 'verify#2', 'fix#3', 'verify#4']);
    // The phase on_fail jumps to sees the failure as {error}.
    const jumped = run(p, [{ type: 'start' }, { type: 'phaseSucceeded', run: 1 }, { type: 'phaseFailed', run: 2, error: 'tests failed' }]);
    expect(jumped.s).toMatchObject({ phase: 'fix', error: 'tests failed' });

    const events: PipelineEvent[] = [{ type: 'start' }];
    for (let r = 1; r < 20; r += 2) events.push({ type: 'phaseSucceeded', run: r }, { type: 'phaseFailed', run: r + 1, error: 'no' });
    const loop = run(p, events);
    expect(loop.s.status).toBe('failed');
    expect(loop.s.error).toMatch(/circuit breaker: phase "fix" entered 4 times \(limit 3\)/);
  });

  it('ignores results of an older run', () => {
    const { s } = run(plan(), [{ type: 'start' }, { type: 'transition', phase: 'merge' }, { type: 'phaseSucceeded', run: 1 }]);
    expect(s.phase).toBe('merge');
    expect(s.status).toBe('running');
  });

  it('applies an on_fail chain: restart:2 then escalate', () => {
    const p = plan({ phases: [{ name: 'fix', onFail: { kind: 'chain', steps: [{ action: 'restart', max: 2 }, { action: 'escalate' }] } }] });
    const { s, effects } = run(p, [
      { type: 'start' },
      { type: 'phaseFailed', run: 1, error: 'e1' },
      { type: 'phaseFailed', run: 2, error: 'e2' },
      { type: 'phaseFailed', run: 3, error: 'e3' },
    ]);
    expect(started(effects)).toEqual(['fix#1', 'fix#2', 'fix#3']);
    expect(s.status).toBe('escalated');
    expect(s.waitingFor).toEqual({ kind: 'human', name: 'escalation', detail: 'e3' });
    expect(emitted(effects).filter((n) => n.startsWith('action:'))).toEqual(['action:restart', 'action:restart', 'action:escalate']);
    // A human resumes: the phase runs again with a fresh chain.
    const resumed = step(p, s, { type: 'resume' }, 10_000);
    expect(resumed.state.status).toBe('running');
    expect(resumed.state.recovery).toEqual({});
    expect(started(resumed.effects)).toEqual(['fix#4']);
  });

  it('fails without on_fail, and records the error and failure count', () => {
    const { s, effects } = run(plan(), [{ type: 'start' }, { type: 'phaseFailed', run: 1, error: 'exit 2' }]);
    expect(s.status).toBe('failed');
    expect(s.error).toBe('phase "build" failed: exit 2');
    expect(s.failureCount).toBe(1);
    expect(effects).toContainEqual({ type: 'hook', hook: 'on_fail', phase: 'build', error: s.error });
  });

  it('cancels a running pipeline, stopping its phase', () => {
    const { s, effects } = run(plan(), [{ type: 'start' }, { type: 'cancel', reason: 'by user' }]);
    expect(s.status).toBe('cancelled');
    expect(effects).toContainEqual({ type: 'stopPhase', run: 1, reason: 'cancelled' });
    expect(() => step(plan(), s, { type: 'cancel', reason: 'again' }, 9)).toThrow(IllegalTransitionError);
  });

  it('transition jumps to a named phase and rejects an unknown one', () => {
    const { s, effects } = run(plan(), [{ type: 'start' }, { type: 'transition', phase: 'merge' }]);
    expect(effects).toContainEqual({ type: 'stopPhase', run: 1, reason: 'transition' });
    expect(s).toMatchObject({ phase: 'merge', run: 2, status: 'running' });
    expect(() => step(plan(), s, { type: 'transition', phase: 'nope' }, 9)).toThrow(/no phase named "nope"/);
  });

  it('waits while a phase waits, and shows for what', () => {
    const { s } = run(plan(), [{ type: 'start' }, { type: 'phaseWaiting', run: 1, waitingFor: { kind: 'lock', name: 'main_branch' } }]);
    expect(s.status).toBe('waiting');
    expect(s.waitingFor).toEqual({ kind: 'lock', name: 'main_branch' });
    const { state } = step(plan(), s, { type: 'phaseRunning', run: 1 }, 5000);
    expect(state.status).toBe('running');
    expect(state.waitingFor).toBeNull();
  });

  it('phaseRunning on a phase already running changes nothing (the engine then writes nothing)', () => {
    const { s } = run(plan(), [{ type: 'start' }]);
    const t = step(plan(), s, { type: 'phaseRunning', run: 1 }, 5000);
    expect(t.state).toBe(s);
    expect(t.effects).toEqual([]);
  });

  it('prepares a workspace before the first phase', () => {
    const p = plan({ needsWorkspace: true });
    const a = run(p, [{ type: 'start' }]);
    expect(a.s.status).toBe('waiting');
    expect(a.effects).toEqual([{ type: 'prepareWorkspace' }]);
    const b = step(p, a.s, { type: 'workspaceReady' }, 5000);
    expect(started(b.effects)).toEqual(['build#1']);
    const c = step(p, a.s, { type: 'workspaceFailed', error: 'not a git repository' }, 5000);
    expect(c.state.status).toBe('failed');
  });

  it('resumes a pipeline whose workspace failed: it prepares the workspace again, then runs the first phase', () => {
    const p = plan({ needsWorkspace: true });
    const a = run(p, [{ type: 'start' }, { type: 'workspaceFailed', error: 'no commit yet' }]);
    expect(a.s.status).toBe('failed');
    expect(a.s.phase).toBeNull();
    const b = step(p, a.s, { type: 'resume' }, 9000);
    expect(b.state).toMatchObject({ status: 'waiting', error: null, finishedAt: null, waitingFor: { kind: 'workspace' } });
    expect(b.effects).toEqual([{ type: 'prepareWorkspace' }]);
    const c = step(p, b.state, { type: 'workspaceReady' }, 10_000);
    expect(started(c.effects)).toEqual(['build#1']);
    // Still creating it: nothing to resume.
    expect(() => step(p, b.state, { type: 'resume' }, 10_000)).toThrow(IllegalTransitionError);
  });

  it('re-runs the current phase after a daemon restart without counting a visit', () => {
    const { s } = run(plan(), [{ type: 'start' }, { type: 'phaseSucceeded', run: 1 }]);
    const t = step(plan(), s, { type: 'reconcile' }, 9000);
    expect(started(t.effects)).toEqual(['test#3']);
    expect(t.state.visits).toEqual(s.visits);
  });

  it('skip marks an escalated phase done and moves on', () => {
    const p = plan({ phases: [{ name: 'fix', onFail: { kind: 'chain', steps: [{ action: 'escalate' }] } }, { name: 'merge' }] });
    const { s } = run(p, [{ type: 'start' }, { type: 'phaseFailed', run: 1, error: 'stuck' }]);
    expect(s.status).toBe('escalated');
    const t = step(p, s, { type: 'skip' }, 5000);
    expect(t.state).toMatchObject({ status: 'running', phase: 'merge', error: null });
  });

  it('escalate (a lock gone stale under a running phase): the run is stopped, then the pipeline waits for a human; the stopped run changes nothing; resume runs the phase again', () => {
    const p = plan({ phases: [{ name: 'build', onFail: { kind: 'chain', steps: [{ action: 'restart' }] } }, { name: 'test' }] });
    const { s, effects } = run(p, [
      { type: 'start' },
      { type: 'escalate', run: 1, reason: 'lock main: held for 2s (timeout 1s)', source: 'lock' },
      { type: 'phaseFailed', run: 1, error: 'stopped: escalated' },
      { type: 'escalate', run: 1, reason: 'again', source: 'lock' },
    ]);
    expect(s).toMatchObject({ status: 'escalated', phase: 'build', run: 1, error: 'lock main: held for 2s (timeout 1s)' });
    expect(s.waitingFor).toEqual({ kind: 'human', name: 'escalation', detail: 'lock main: held for 2s (timeout 1s)' });
    expect(effects.filter((e) => e.type === 'stopPhase')).toEqual([{ type: 'stopPhase', run: 1, reason: 'escalated: lock main: held for 2s (timeout 1s)' }]);
    expect(emitted(effects).filter((n) => n === 'escalate')).toHaveLength(1);
    expect(emitted(effects)).not.toContain('action:restart');
    const resumed = step(p, s, { type: 'resume' }, 99_000);
    expect(resumed.state).toMatchObject({ status: 'running', phase: 'build', run: 2, waitingFor: null, error: null });
    expect(started(resumed.effects)).toEqual(['build#2']);
  });

  it('escalate for an older run, an ended pipeline or one a human already has changes nothing', () => {
    const { s } = run(plan(), [{ type: 'start' }, { type: 'phaseSucceeded', run: 1 }]);
    expect(step(plan(), s, { type: 'escalate', run: 1, reason: 'x', source: 'lock' }, 5000)).toMatchObject({ effects: [] });
    const human = { ...s, status: 'waiting' as const, waitingFor: { kind: 'human' as const, name: 'escalation' } };
    expect(step(plan(), human, { type: 'escalate', run: 2, reason: 'x', source: 'lock' }, 5000).effects).toEqual([]);
    const done = run(plan({ phases: [{ name: 'a' }] }), [{ type: 'start' }, { type: 'phaseSucceeded', run: 1 }]).s;
    expect(step(plan(), done, { type: 'escalate', run: 1, reason: 'x', source: 'lock' }, 5000).effects).toEqual([]);
  });
});
