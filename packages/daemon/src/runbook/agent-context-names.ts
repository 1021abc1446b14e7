/**
 * The names an agent's prompt can look up at run time, as the engine builds
 * its context (agents/agent-phase.ts): the values of the pipeline instance it
 * runs in (the pipeline's inputs and defaults, the arguments of a command
 * that started it, `workspace`, `branch`, ...), the runtime values of the
 * moment (`phase`, `error`, `session`, ...) and the agent's own `inputs`.
 *
 * An agent can run in several pipelines (as a phase or a strategy attempt):
 * a name counts when any of them supplies it. An agent no pipeline runs has
 * no known context (null).
 */
import type { Agent, Primitive } from './model.js';
import { AGENT_RUNTIME_NAMES } from './runtime-names.js';

export function agentContextNames(agent: Agent, primitives: readonly Primitive[], byId: ReadonlyMap<string, Primitive>): Set<string> | null {
  const runsAgent = (run: { type: string; agent?: { id: string } }): boolean => run.type === 'agent' && run.agent?.id === agent.id;
  const pipelines = primitives.filter(
    (p) =>
      p.kind === 'pipeline' &&
      p.phase.some((phase) => {
        if (runsAgent(phase.run)) return true;
        if (phase.run.type !== 'strategy') return false;
        const strategy = byId.get(phase.run.strategy.id);
        return strategy?.kind === 'strategy' && strategy.attempt.some((a) => runsAgent(a.run));
      }),
  );
  if (pipelines.length === 0) return null;
  const names = new Set<string>([...AGENT_RUNTIME_NAMES, ...agent.inputs.map((i) => i.name)]);
  for (const pipeline of pipelines) {
    if (pipeline.kind !== 'pipeline') continue;
    for (const input of pipeline.inputs) names.add(input);
    for (const key of Object.keys(pipeline.defaults)) names.add(key);
    for (const command of primitives) {
      if (command.kind !== 'command' || command.run.type !== 'pipeline' || command.run.pipeline.id !== pipeline.id) continue;
      for (const p of command.args.positionals) names.add(p.name);
      for (const o of command.args.options) names.add(o.name);
    }
  }
  return names;
}
