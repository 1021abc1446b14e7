/** Turns a resolved runbook pipeline into the definition the engine snapshots and runs. */
import type { OnFail as ModelOnFail, Pipeline } from '../runbook/model.js';
import type { PipelineDefinition, PipelineEnv } from '../core/pipeline-definition.js';
import type { OnFail } from '../core/pipeline-state.js';
import { actionOf } from '../core/recovery/index.js';

function onFail(f: ModelOnFail | null): OnFail | undefined {
  if (!f) return undefined;
  if (f.type === 'phase') return { kind: 'phase', phase: f.phase };
  return {
    kind: 'chain',
    steps: f.chain.map((s) => {
      const action = actionOf(s);
      return { action: s.action, ...(s.max !== null ? { max: s.max } : {}), ...(action.kind === 'runbook' ? { runbook: action.id } : {}) };
    }),
  };
}

/**
 * `extraEnv`: what the command that starts it adds (the caller's passed-through
 * variables and the command's own `env` table, filled).
 */
export function definitionFromModel(p: Pipeline, extraEnv?: Omit<PipelineEnv, 'set'>): PipelineDefinition {
  const passed = extraEnv?.passed ?? {};
  const command = extraEnv?.command ?? {};
  const hasEnv = Object.keys(p.env.set).length + Object.keys(passed).length + Object.keys(command).length > 0;
  return {
    runbook: p.file,
    name: p.name,
    inputs: p.inputs,
    defaults: p.defaults,
    hooks: p.events,
    maxPhaseVisits: p.max_phase_visits,
    ...(hasEnv ? { env: { passed, set: { ...p.env.set }, command } } : {}),
    phases: p.phase.map((ph) => {
      const failure = onFail(ph.on_fail);
      return {
        name: ph.name,
        ...(ph.run.type === 'shell' ? { run: ph.run.shell } : {}),
        ...(ph.run.type === 'agent' ? { agent: ph.run.agent.id } : {}),
        ...(ph.run.type === 'strategy' ? { strategy: ph.run.strategy.id } : {}),
        pre: ph.pre.map((r) => r.id),
        post: ph.post.map((r) => r.id),
        ...(ph.lock ? { lock: ph.lock.id } : {}),
        ...(ph.semaphore ? { semaphore: ph.semaphore.id } : {}),
        next: ph.next,
        ...(failure ? { onFail: failure } : {}),
        ...(ph.cwd !== null ? { cwd: ph.cwd } : {}),
        ...(ph.timeout ? { timeoutMs: ph.timeout.ms } : {}),
      };
    }),
  };
}
