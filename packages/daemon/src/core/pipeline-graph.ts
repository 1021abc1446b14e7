/**
 * A pipeline definition as a graph (pure): each phase with the phase success
 * leads to (its `next`, else the following one, as the machine moves) and
 * what a failure does (`on_fail`: a phase, or a recovery chain's steps).
 */
import type { PhaseGraphNode } from '@oj/protocol';
import type { PhaseDefinition, PipelineDefinition } from './pipeline-definition.js';

export function phaseGraph(def: Pick<PipelineDefinition, 'phases'>): PhaseGraphNode[] {
  return def.phases.map((p, i) => ({
    name: p.name,
    work: workOf(p),
    next: p.next !== undefined ? p.next : (def.phases[i + 1]?.name ?? null),
    onFail: !p.onFail
      ? null
      : p.onFail.kind === 'phase'
        ? { phase: p.onFail.phase }
        : { chain: p.onFail.steps.map((s) => (s.max !== undefined ? `${s.action}:${s.max}` : s.action)) },
  }));
}

function workOf(p: PhaseDefinition): PhaseGraphNode['work'] {
  if (p.agent !== undefined) return 'agent';
  if (p.strategy !== undefined) return 'strategy';
  if (p.run !== undefined) return 'shell';
  return 'none';
}
