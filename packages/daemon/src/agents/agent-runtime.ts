/**
 * What agent phases, and the session methods that reach a live session,
 * need: the session supervisor (it starts session hosts and reconnects to
 * them), the agents' states (hooks and reports) and the agent phase itself.
 * main/wire-agents.ts loads this module the first time one of them is
 * needed, so a daemon whose pipelines run no agent never holds their code.
 */
import { statePaths } from '@oj/protocol';
import type { PhaseStep } from '../engine/phase-runner.js';
import { SessionSupervisor } from '../sessions/index.js';
import { agentStep, type AgentPhaseDeps } from './agent-phase.js';
import { AgentStates } from './agent-states.js';

export type AgentRuntimeDeps = Omit<AgentPhaseDeps, 'states' | 'supervisor'> & { stateDir: string };

export interface AgentRuntime {
  readonly supervisor: SessionSupervisor;
  readonly states: AgentStates;
  /** Runs an agent as a phase's work. */
  step(agentId: string): PhaseStep;
}

export function createAgentRuntime(d: AgentRuntimeDeps): AgentRuntime {
  const supervisor = new SessionSupervisor({ sessionsRoot: statePaths(d.stateDir).sessionsDir, now: d.now });
  const states = new AgentStates({ storage: d.storage, sessions: d.sessions, events: d.events, now: d.now });
  const deps: AgentPhaseDeps = { ...d, states, supervisor };
  return { supervisor, states, step: (agentId) => agentStep(deps, agentId) };
}
