/**
 * An agent session ended without a result: its `on_exit` chain decides.
 * Returns to start a fresh session (restart); throws when the phase fails
 * (abandon, or the chain is exhausted) or waits for a human (escalate). A
 * runbook action runs, then the next step is taken at once.
 */
import type { Logger } from 'winston';
import { PhaseEscalation, PhaseFailure } from '../engine/phase-runner.js';
import { actionIn, unreachable, type ChainStep } from '../core/recovery/index.js';

/** What the supervising agent phase lends the walk of its on_exit chain. */
export interface ExitChainHost {
  agentName: string;
  logger: Logger;
  /** The chain's next step (its cursor moves), or null once it is exhausted. */
  nextStep(): ChainStep | null;
  emit(name: string, data: Record<string, string | number>, session?: string): void;
  /** Escalates with no session to message (it has ended). */
  escalate(reason: string): void;
  runAction(actionId: string, extra: Record<string, unknown>): Promise<boolean>;
}

export async function walkOnExit(h: ExitChainHost, id: string, why: string, exitCode: number | null): Promise<void> {
  const failure = () => new PhaseFailure(`agent ${h.agentName} failed: ${why}`, exitCode);
  for (;;) {
    const step = h.nextStep();
    if (step === null) throw failure();
    const action = actionIn('agent.on_exit', step);
    switch (action.kind) {
      case 'runbook':
        h.emit(`action:${action.name}`, { reason: why }, id);
        await h.runAction(action.id, { session: id });
        continue;
      case 'unsupported':
        // Loading rejects these (core/recovery's table): there is no session left to act on.
        h.logger.warn('recovery action not applicable to an ended agent session', { action: action.name, session: id });
        continue;
      case 'builtin':
        switch (action.name) {
          case 'restart':
            h.emit('action:restart', { reason: why }, id);
            return;
          case 'escalate':
            // The session is gone: a human can retry, skip, go elsewhere or cancel (nothing to message).
            h.emit('action:escalate', { reason: `agent ${why}` });
            h.escalate(`agent ${h.agentName} ${why}`);
            throw new PhaseEscalation(`agent ${h.agentName} ${why}`);
          case 'abandon':
            throw failure();
          default:
            return unreachable(action);
        }
      default:
        return unreachable(action);
    }
  }
}
