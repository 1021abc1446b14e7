/**
 * An agent's input `source` commands, run when its prompt is rendered, go
 * through the daemon's shell runner like every other child: in their own
 * process group, in the phase's environment, with a timeout; killed (the
 * whole group) when the phase stops, and with every other child at daemon
 * stop. The group is recorded for crash clean-up like a phase's.
 */
import type { PhaseRunContext } from '../engine/phase-runner.js';
import type { CommandExecutor } from '../runbook/index.js';
import { formatMs } from '../coordination/step-shell.js';

/** Longest an input source may run before it is killed and the render fails. */
export const INPUT_SOURCE_TIMEOUT_MS = 2 * 60_000;
/** How much of a source's stderr is kept (its first line explains a failure). */
const STDERR_KEPT = 20_000;

export type InputSourceContext = Pick<PhaseRunContext, 'shellRunner' | 'env' | 'stopSignal' | 'processGroup'>;

export function inputSourceExecutor(ctx: InputSourceContext, timeoutMs = INPUT_SOURCE_TIMEOUT_MS): CommandExecutor {
  return async (command, cwd) => {
    let stdout = '';
    let stderr = '';
    const run = ctx.shellRunner.run({
      script: command,
      cwd,
      env: ctx.env,
      timeoutMs,
      onOutput: (data, stream) => {
        if (stream === 'stdout') stdout += data;
        else if (stderr.length < STDERR_KEPT) stderr += data;
      },
      onStarted: (pgid, start) => ctx.processGroup(pgid, start),
    });
    let finished = false;
    void ctx.stopSignal.then((reason) => {
      if (!finished) run.stop(reason);
    });
    const o = await run.done;
    finished = true;
    let failed: string | undefined;
    if (o.timedOut) failed = `timed out after ${formatMs(timeoutMs)}`;
    else if (o.stoppedBecause) failed = `stopped: ${o.stoppedBecause}`;
    else if (o.startError) failed = `could not start: ${o.startError}`;
    else if (o.exitCode === null) failed = `killed by ${o.signal ?? 'a signal'}`;
    return { stdout, stderr, exitCode: o.exitCode ?? 1, ...(failed !== undefined ? { failed } : {}) };
  };
}
