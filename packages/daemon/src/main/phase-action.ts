/**
 * Runs a runbook `[action.x]` that a recovery chain of a phase names (an
 * agent's on_stuck, a guard's on_timeout, a strategy's on_exhaust): in the
 * phase's context (its cwd, env and log; `extra` adds placeholders such as
 * `{guard}` or `{session}`), stopped with the phase, bounded by a timeout.
 */
import type { PhaseRunContext } from '../engine/phase-runner.js';
import { logLine, runStepShell } from '../coordination/step-shell.js';
import type { Action } from '../runbook/model.js';
import type { ProjectRegistry } from '../projects/project-registry.js';

/** Resolves true when the action ran and succeeded. */
export type PhaseActionRunner = (pctx: PhaseRunContext, actionId: string, extra: Record<string, unknown>) => Promise<boolean>;

/** How long a runbook action run by a phase's chain may take. */
const ACTION_TIMEOUT_MS = 10 * 60_000;

export function phaseActionRunner(projects: ProjectRegistry): PhaseActionRunner {
  return async (pctx, actionId, extra) => {
    const found = projects.peek(pctx.record.project)?.get(actionId);
    const action: Action | undefined = found?.kind === 'action' ? found : undefined;
    if (!action) {
      logLine(pctx.logFile, `── action ${actionId}: not defined in the runbooks, skipped`);
      return false;
    }
    let script: string;
    try {
      script = pctx.shell(action.run, extra);
    } catch (err) {
      logLine(pctx.logFile, `── action ${action.name}: not run: ${(err as Error).message}`);
      return false;
    }
    const r = await runStepShell(pctx, script, { label: `action ${action.name}`, timeoutMs: ACTION_TIMEOUT_MS });
    return r.ok;
  };
}
