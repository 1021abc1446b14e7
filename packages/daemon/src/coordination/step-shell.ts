/**
 * Shell commands a coordination step runs inside a phase (guard conditions,
 * checkpoints, strategy attempts, rollbacks, runbook actions): in the phase's
 * cwd and env, output appended to the phase log under a header line, process
 * group recorded for crash clean-up, killed when the phase stops.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PhaseRunContext } from '../engine/phase-runner.js';

export interface StepShellResult {
  ok: boolean;
  exitCode: number | null;
  timedOut: boolean;
  /** The stop reason when the phase was stopped while it ran. */
  stopped: string | null;
  stdout: string;
  /** "" when ok, else "exit code 1", "timed out after 1m"... */
  error: string;
}

export interface StepShellOptions {
  /** Shown in the log header: "guard tests_pass", "attempt rebase". */
  label: string;
  timeoutMs?: number | null;
  /** Keep stdout (checkpoint commands). */
  captureStdout?: boolean;
  /** Keep running when the phase is stopped (rollbacks that restore a checkpoint); needs a timeout. */
  ignoreStop?: boolean;
}

export async function runStepShell(ctx: PhaseRunContext, script: string, o: StepShellOptions): Promise<StepShellResult> {
  logLine(ctx.logFile, `── ${o.label}: ${script.split('\n')[0]}${script.includes('\n') ? ' …' : ''}`);
  let stdout = '';
  const run = ctx.shellRunner.run({
    script,
    cwd: ctx.cwd,
    env: ctx.env,
    logFile: ctx.logFile,
    ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    // Followers read the phase log (output-feed.ts); stdout is only piped here when it is kept.
    ...(o.captureStdout
      ? {
          onOutput: (data: string, stream: 'stdout' | 'stderr') => {
            if (stream === 'stdout') stdout += data;
          },
        }
      : {}),
    onStarted: (pgid, start) => ctx.processGroup(pgid, start),
  });
  let finished = false;
  let stoppedBy: string | null = null;
  if (!o.ignoreStop) {
    void ctx.stopSignal.then((reason) => {
      if (finished) return;
      stoppedBy = reason;
      run.stop(reason);
    });
  }
  const r = await run.done;
  finished = true;
  let error = '';
  if (r.timedOut) error = `timed out after ${formatMs(o.timeoutMs ?? 0)}`;
  else if (r.stoppedBecause) error = `stopped: ${r.stoppedBecause}`;
  else if (r.exitCode !== 0) error = r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode}`;
  return { ok: error === '', exitCode: r.exitCode, timedOut: r.timedOut, stopped: stoppedBy, stdout, error };
}

export function logLine(file: string, line: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, `${line}\n`);
  } catch {
    // the log must not break the phase
  }
}

export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
