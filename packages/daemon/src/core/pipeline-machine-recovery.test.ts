/** A phase's on_fail chain in the machine: each step as core/recovery says a phase runs it. */
import { describe, expect, it } from 'vitest';
import { step, type PipelineEffect, type PipelineEvent } from './pipeline-machine.js';
import { newPipelineState, type OnFailStep, type PipelinePlan, type PipelineState } from './pipeline-state.js';

const plan = (steps: OnFailStep[]): PipelinePlan => ({
  phases: [{ name: 'fix', onFail: { kind: 'chain', steps } }, { name: 'merge' }],
  maxPhaseVisits: 9,
  needsWorkspace: false,
});

function failOnce(steps: OnFailStep[]): { s: PipelineState; effects: PipelineEffect[] } {
  let s = newPipelineState('key-1', 0, 'fix-a');
  const effects: PipelineEffect[] = [];
  const events: PipelineEvent[] = [{ type: 'start' }, { type: 'phaseFailed', run: 1, error: 'exit code 2' }];
  for (const e of events) {
    const t = step(plan(steps), s, e, 1000);
    s = t.state;
    effects.push(...t.effects);
  }
  return { s, effects };
}

const of = <T extends PipelineEffect['type']>(effects: PipelineEffect[], type: T) => effects.filter((e): e is Extract<PipelineEffect, { type: T }> => e.type === type);

describe('on_fail steps in the pipeline machine', () => {
  it('a runbook action runs (by its id), then the phase runs again', () => {
    const { s, effects } = failOnce([{ action: 'cleanup', runbook: 'ops.action.cleanup' }]);
    expect(of(effects, 'recover')).toEqual([{ type: 'recover', step: { kind: 'runbook', name: 'cleanup', id: 'ops.action.cleanup' }, phase: 'fix', error: 'exit code 2' }]);
    expect(s).toMatchObject({ status: 'running', run: 2, error: 'exit code 2' });
  });

  it('a runbook action named like a built-in replaces it: [action.restart] with its own run runs that', () => {
    const { effects } = failOnce([{ action: 'restart', runbook: 'ops.action.restart' }]);
    expect(of(effects, 'recover')).toEqual([{ type: 'recover', step: { kind: 'runbook', name: 'restart', id: 'ops.action.restart' }, phase: 'fix', error: 'exit code 2' }]);
  });

  it('restart runs the phase again; rollback resets the work tree first', () => {
    const restart = failOnce([{ action: 'restart' }]);
    expect(of(restart.effects, 'recover')).toEqual([]);
    expect(restart.s).toMatchObject({ status: 'running', run: 2 });
    const rollback = failOnce([{ action: 'rollback' }]);
    expect(of(rollback.effects, 'recover')).toEqual([{ type: 'recover', step: { kind: 'builtin', name: 'rollback' }, phase: 'fix', error: 'exit code 2' }]);
    expect(rollback.s).toMatchObject({ status: 'running', run: 2 });
  });

  it('abandon fails the pipeline', () => {
    expect(failOnce([{ action: 'abandon' }]).s).toMatchObject({ status: 'failed', error: 'phase "fix" failed (abandon): exit code 2' });
  });

  it('escalate: the pipeline waits for a human; the escalate event has the common data (source, reason, error, pipeline, phase)', () => {
    const { s, effects } = failOnce([{ action: 'escalate' }]);
    expect(s.status).toBe('escalated');
    expect(of(effects, 'emit').find((e) => e.name === 'escalate')!.data).toEqual({
      source: 'pipeline',
      reason: 'exit code 2',
      error: 'exit code 2',
      pipeline: 'fix-a',
      phase: 'fix',
    });
    expect(of(effects, 'recover')).toEqual([]);
  });

  it('a stored chain a phase cannot run (from before chains were checked at load): the step is noted, the phase runs again', () => {
    const { s, effects } = failOnce([{ action: 'nudge' }]);
    expect(of(effects, 'recover')).toEqual([{ type: 'recover', step: { kind: 'unsupported', name: 'nudge' }, phase: 'fix', error: 'exit code 2' }]);
    expect(s).toMatchObject({ status: 'running', run: 2 });
  });

  it('a stored step naming a runbook action without its id (older definitions) runs it by name', () => {
    const { effects } = failOnce([{ action: 'cleanup' }]);
    expect(of(effects, 'recover')).toEqual([{ type: 'recover', step: { kind: 'runbook', name: 'cleanup', id: 'cleanup' }, phase: 'fix', error: 'exit code 2' }]);
  });
});
