/**
 * Loading checks every chain against the contexts table of core/recovery: a
 * built-in the chain's context cannot run is an error naming the file, the
 * primitive, the field and what that context accepts.
 */
import { describe, expect, it } from 'vitest';
import { RECOVERY_CONTEXTS, RECOVERY_CONTEXT_NAMES, type RecoveryContext } from '../core/recovery/index.js';
import { buildProjectFromTexts } from './load-project.js';
import { formatRunbookError } from './runbook-error.js';

function errors(text: string): string[] {
  const result = buildProjectFromTexts({ runbooks: { main: text } });
  return result.ok ? [] : result.errors.map(formatRunbookError);
}

/** A runbook with one chain of the given context set to `chain`. */
function withChain(context: RecoveryContext, chain: string[]): string {
  const value = JSON.stringify(chain);
  switch (context) {
    case 'phase.on_fail':
      return `[pipeline.p]\n[[pipeline.p.phase]]\nname = "build"\nrun = "make"\non_fail = ${value}`;
    case 'agent.on_stuck':
    case 'agent.on_timeout':
    case 'agent.on_error':
    case 'agent.on_exit':
    case 'agent.on_idle':
      return `[agent.a]\nprompt = "go"\n${context.slice('agent.'.length)} = ${value}`;
    case 'guard.on_timeout':
      return `[guard.g]\ncondition = "true"\non_timeout = ${value}`;
    case 'strategy.on_exhaust':
      return `[strategy.s]\non_exhaust = ${value}\n[[strategy.s.attempt]]\nname = "a"\nrun = "true"`;
    case 'lock.on_stale':
      return `[lock.l]\non_stale = ${value}`;
    case 'semaphore.on_orphan':
      return `[semaphore.s]\nmax = 1\non_orphan = ${value}`;
    case 'semaphore.on_orphan_work':
      return `[semaphore.s]\nmax = 1\non_orphan_work = ${value}`;
    case 'queue.on_exhaust':
      return `[queue.q]\non_exhaust = ${value}`;
    case 'monitor.response':
      return `[monitor.m]\nresponse = ${value}`;
  }
}

describe('chains are checked against their context', () => {
  it.each(RECOVERY_CONTEXT_NAMES)('%s loads with every action it accepts, and a runbook action', (context) => {
    const chain = [...RECOVERY_CONTEXTS[context].actions, 'notify'];
    expect(errors(`${withChain(context, chain)}\n[action.notify]\nrun = "true"`)).toEqual([]);
  });

  it('a failed phase cannot nudge: the error names file, primitive, field and what on_fail accepts', () => {
    expect(errors(withChain('phase.on_fail', ['nudge', 'escalate']))).toEqual([
      '.oj/runbooks/main.toml:5: pipeline.p phase[0] "build" field on_fail: the built-in action "nudge" cannot run in a pipeline phase\'s on_fail ' +
        '(it accepts restart, rollback, escalate, abandon or a runbook [action.x])',
    ]);
  });

  it('dead gives up only in queue chains: elsewhere the hint says abandon', () => {
    expect(errors(withChain('agent.on_stuck', ['nudge', 'dead']))).toEqual([
      '.oj/runbooks/main.toml:3: agent.a field on_stuck: the built-in action "dead" cannot run in an agent\'s on_stuck ' +
        '(it accepts nudge, restart, escalate, abandon or a runbook [action.x]; to give up, write abandon)',
    ]);
  });

  it.each([
    ['agent.on_exit', 'nudge'],
    ['guard.on_timeout', 'nudge'],
    ['strategy.on_exhaust', 'rollback'],
    ['lock.on_stale', 'restart'],
    ['semaphore.on_orphan', 'abandon'],
    ['semaphore.on_orphan_work', 'escalate'],
    ['queue.on_exhaust', 'restart'],
  ] as const)('%s rejects %s', (context, action) => {
    const problems = errors(withChain(context, [action]));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`the built-in action "${action}" cannot run in ${RECOVERY_CONTEXTS[context].where}`);
  });

  it('a runbook action named like a built-in runs anywhere; a run-less one only tunes the built-in, which is checked', () => {
    expect(errors(`${withChain('phase.on_fail', ['nudge'])}\n[action.nudge]\nrun = "oj emit poked"`)).toEqual([]);
    expect(errors(`${withChain('phase.on_fail', ['nudge'])}\n[action.nudge]\ncooldown = "1m"`)).toHaveLength(1);
  });

  it('a default chain is checked too, and says so', () => {
    // A project [action.nudge] with a run replaces the default nudge of on_stuck; without one nothing changes.
    expect(errors('[agent.a]\nprompt = "go"')).toEqual([]);
    expect(errors('[agent.a]\nprompt = "go"\n[action.nudge]\nrun = "true"')).toEqual([]);
  });
});
