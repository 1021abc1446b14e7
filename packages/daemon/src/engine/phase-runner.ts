/**
 * Runs one attempt of one phase: its gates (locks, semaphores, pre guards),
 * its work (a shell script, an agent or a strategy), then its post guards,
 * always releasing what it acquired: with the outcome (the engine writes the
 * releases in the transaction that records it), or at once when the phase
 * hands over to a human. Reports waiting/running as it goes and resolves
 * with the outcome; `stop()` ends it early.
 */
import type { ChildEnv } from '../adapters/child-env.js';
import type { ShellRunner } from '../adapters/shell-runner.js';
import type { WaitReason } from '../core/pipeline-state.js';
import type { EscalationSource } from '../core/recovery/index.js';
import type { PhaseDefinition } from '../core/pipeline-definition.js';
import type { PipelineRecord } from '../storage/pipeline-store.js';

export interface PhaseOutcome {
  ok: boolean;
  error?: string;
  exitCode?: number | null;
  /** Local writes that go with the outcome, in the transaction that records it (the gates' releases). */
  settle?: readonly (() => void)[];
}

/** How a gate lets go of what it took. */
export interface GateRelease {
  /** Inside the transaction that records the phase's outcome. */
  withOutcome(): void;
  /** At once (the phase hands over to a human and waits: no outcome is recorded meanwhile). */
  now(): Promise<void>;
}

export interface PhaseRunContext {
  record: PipelineRecord;
  phase: PhaseDefinition;
  run: number;
  logFile: string;
  /** Fills placeholders in a shell string from the pipeline's context (injection-safe). */
  shell(template: string, extra?: Record<string, unknown>): string;
  /** Fills placeholders in plain text. */
  text(template: string, extra?: Record<string, unknown>): string;
  cwd: string;
  /** The phase's environment (child-env.ts); an agent adds its own `env` with `env.with()`. */
  env: ChildEnv;
  /** Starts the phase's shell children (in `cwd` with `env`, as the caller says). */
  shellRunner: ShellRunner;
  waiting(reason: WaitReason): void;
  running(): void;
  /** Records the process group of a process the phase started, with its leader's start time (crash clean-up). */
  processGroup(pgid: number, start: number | null): void;
  readonly stopped: boolean;
  /** Resolves when the phase is stopped. */
  readonly stopSignal: Promise<string>;
  /** Ends the phase early as failed with this reason (e.g. a lock it held was taken back). */
  abort?(reason: string): void;
  /**
   * Hands the pipeline to a human from outside the phase's steps (a lock's
   * on_stale): the engine's machine stops this run, and the pipeline waits,
   * escalated, for a human's decision. True when the machine took it.
   */
  escalate?(reason: string, source: EscalationSource): boolean;
}

/** A step of a phase: a gate before the work, the work, or a check after it. */
export interface PhaseStep {
  /** Runs the step; a gate returns how to release what it took. Throws PhaseFailure. */
  (ctx: PhaseRunContext): Promise<GateRelease | void>;
}

export class PhaseFailure extends Error {
  override readonly name = 'PhaseFailure';
  constructor(
    message: string,
    readonly exitCode: number | null = null,
  ) {
    super(message);
  }
}

/**
 * A step handed the phase to a human (an `escalate` step of its chain; the
 * step has emitted the `escalate` event). The phase lets go of its locks and
 * slots and waits, with the pipeline waiting for a human, until a human moves
 * it on (resume, transition, skip, cancel: each stops this run).
 */
export class PhaseEscalation extends Error {
  override readonly name = 'PhaseEscalation';
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface PhaseSteps {
  gates: PhaseStep[];
  work: PhaseStep;
  checks: PhaseStep[];
}

/** The pipeline of this run waits for a human (an escalate step handed it over before a daemon restart). */
export function handedToHuman(ctx: PhaseRunContext): boolean {
  const s = ctx.record.state;
  return s.status === 'waiting' && s.waitingFor?.kind === 'human';
}

export async function runPhase(ctx: PhaseRunContext, steps: PhaseSteps): Promise<PhaseOutcome> {
  const releases: GateRelease[] = [];
  // Released with the outcome, in the transaction that records it: the next phase (which may take
  // the same lock) starts only after that commits.
  const outcome = (o: PhaseOutcome): PhaseOutcome => {
    const settle = releases.splice(0).reverse().map((r) => () => r.withOutcome());
    return settle.length ? { ...o, settle } : o;
  };
  try {
    for (const gate of steps.gates) {
      const release = await gate(ctx);
      if (release) releases.push(release);
      if (ctx.stopped) return outcome({ ok: false, error: 'stopped' });
    }
    // A run adopted after a restart while a human has it (an escalate step of its agent)
    // stays the human's: it does not report itself running.
    if (!handedToHuman(ctx)) ctx.running();
    await steps.work(ctx);
    for (const check of steps.checks) await check(ctx);
    return outcome({ ok: true });
  } catch (err) {
    if (err instanceof PhaseEscalation) {
      // Let go at once: the phase waits for a human, with nothing held.
      for (const release of releases.splice(0).reverse()) {
        try {
          await release.now();
        } catch {
          // a release that fails must not hide the escalation
        }
      }
      ctx.waiting({ kind: 'human', name: 'escalation', detail: err.reason });
      return { ok: false, error: `stopped: ${await ctx.stopSignal}` };
    }
    if (err instanceof PhaseFailure) return outcome({ ok: false, error: err.message, exitCode: err.exitCode });
    return outcome({ ok: false, error: (err as Error).message ?? String(err) });
  }
}
