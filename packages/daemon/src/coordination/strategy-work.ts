/**
 * The work of a phase with `strategy = "x"`: run the checkpoint command and
 * keep its output as `{checkpoint}`, try the attempts in order (each with its
 * timeout), run a failed attempt's rollback before the next, and apply
 * `on_exhaust` when all have failed.
 *
 * Progress is stored (strategy_runs / strategy_attempts) as it happens, so a
 * daemon restart resumes the same run: the checkpoint is not taken again,
 * attempts that already failed are not retried, and the attempt that was
 * interrupted is rolled back and run again (at-least-once, like shell
 * phases). Each attempt's start and end is an event (`strategy:attempt`) and
 * a line in the pipeline's checkpoints, which `oj pipeline show` prints.
 */
import type { JsonValue } from '@oj/protocol';
import type { Logger } from 'winston';
import { PhaseEscalation, PhaseFailure, type PhaseRunContext, type PhaseStep } from '../engine/phase-runner.js';
import type { EventLog } from '../events/event-log.js';
import type { Attempt, Strategy } from '../runbook/model.js';
import type { Storage } from '../storage/storage.js';
import type { StrategyRunRow, StrategyStore } from '../storage/strategy-store.js';
import { actionIn, escalateData, parseCursor, takeStep, unreachable } from '../core/recovery/index.js';
import { runStepShell } from './step-shell.js';

/** Runs an `{ agent = "x" }` attempt; supplied by the agents capability. */
export type AgentAttemptRunner = (
  ctx: PhaseRunContext,
  agentId: string,
  opts: { timeoutMs: number | null; extra: Record<string, unknown> },
) => Promise<{ ok: boolean; error?: string }>;

export interface StrategyDeps {
  storage: Storage;
  strategies: StrategyStore;
  events: EventLog;
  logger: Logger;
  now(): number;
  strategy(project: string, id: string): Strategy | undefined;
  stopping(): boolean;
  runAgentAttempt?: AgentAttemptRunner | undefined;
  runAction(ctx: PhaseRunContext, actionId: string, extra: Record<string, unknown>): Promise<boolean>;
  /** Strategy runs under way in this daemon, by pipeline and phase (shared by every phase). */
  live: Map<string, Promise<void>>;
}

/** How long a rollback may take when it runs after the phase was stopped. */
const STOPPED_ROLLBACK_TIMEOUT_MS = 60_000;

export function strategyWork(d: StrategyDeps, strategyId: string): PhaseStep {
  return async (ctx) => {
    // A phase re-entered while its previous run still ends (transition to the same phase, resume):
    // that run is stopping and rolling back; wait for it, then start afresh.
    const key = `${ctx.record.state.id}\0${ctx.phase.name}`;
    const previous = d.live.get(key);
    if (previous) await previous;
    if (ctx.stopped) throw new PhaseFailure('stopped');
    const running = new StrategyRun(d, ctx, strategyId).run();
    const settled = running.then(
      () => {},
      () => {},
    );
    d.live.set(key, settled);
    try {
      await running;
    } finally {
      if (d.live.get(key) === settled) d.live.delete(key);
    }
  };
}

class StrategyRun {
  private readonly pipelineId: string;
  private row!: StrategyRunRow;
  private strategy!: Strategy;

  constructor(
    private readonly d: StrategyDeps,
    private readonly ctx: PhaseRunContext,
    private readonly strategyId: string,
  ) {
    this.pipelineId = ctx.record.state.id;
  }

  private get extra(): Record<string, unknown> {
    return { checkpoint: this.row.checkpoint ?? '' };
  }

  private label(a: Attempt): string {
    return `attempt ${a.index + 1}/${this.strategy.attempt.length} "${a.name}"`;
  }

  private emit(name: string, data: Record<string, JsonValue>): void {
    this.d.events.emit({
      name,
      subject: this.pipelineId,
      project: this.ctx.record.project,
      data: { strategy: this.strategy.name, phase: this.ctx.phase.name, ...data },
    });
  }

  /** A line in the pipeline's checkpoints: what `oj pipeline show` prints about the strategy. */
  private note(message: string): void {
    const now = this.d.now();
    this.d.storage.write(() => this.d.storage.pipelines.addCheckpoint(this.pipelineId, this.ctx.phase.name, `strategy ${this.strategy.name}: ${message}`, now));
  }

  private update(patch: Parameters<StrategyStore['update']>[1]): void {
    this.d.storage.write(() => this.d.strategies.update(this.row.id, patch, this.d.now()));
    this.row = this.d.strategies.get(this.row.id)!;
  }

  async run(): Promise<void> {
    const s = this.d.strategy(this.ctx.record.project, this.strategyId);
    if (!s) throw new PhaseFailure(`strategy ${this.strategyId} is not defined in the runbooks (any more)`);
    this.strategy = s;
    const phase = this.ctx.phase.name;
    let existing = this.d.strategies.active(this.pipelineId, phase);
    if (existing && existing.strategy !== s.id) {
      this.d.storage.write(() => this.d.strategies.update(existing!.id, { status: 'stopped' }, this.d.now()));
      existing = undefined;
    }
    if (existing) {
      this.row = existing;
      this.note(`resumed at attempt ${Math.min(existing.attempt + 1, s.attempt.length)}/${s.attempt.length} after a daemon restart`);
    } else {
      this.row = this.d.storage.write(() => this.d.strategies.start(this.pipelineId, phase, s.id, this.d.now()));
      this.emit('strategy:started', { attempts: s.attempt.length });
    }

    if (!this.row.checkpointTaken) await this.takeCheckpoint();
    if (existing) await this.recoverInterrupted();

    for (;;) {
      for (let i = this.row.attempt; i < s.attempt.length; i++) {
        const a = s.attempt[i]!;
        if (await this.tryAttempt(a)) return;
        this.update({ attempt: i + 1 });
      }
      if (!(await this.onExhaust())) return;
    }
  }

  private async takeCheckpoint(): Promise<void> {
    let checkpoint: string | null = null;
    if (this.strategy.checkpoint) {
      let script: string;
      try {
        script = this.ctx.shell(this.strategy.checkpoint);
      } catch (err) {
        this.end('exhausted');
        throw new PhaseFailure(`strategy ${this.strategy.name}: checkpoint: ${(err as Error).message}`);
      }
      const r = await runStepShell(this.ctx, script, { label: `strategy ${this.strategy.name} checkpoint`, captureStdout: true });
      if (r.stopped || this.ctx.stopped) this.stoppedBeforeAttempts(r.stopped);
      if (!r.ok) {
        this.end('exhausted');
        throw new PhaseFailure(`strategy ${this.strategy.name}: the checkpoint command failed (${r.error})`);
      }
      checkpoint = r.stdout.trim();
    }
    this.update({ checkpoint, checkpointTaken: true });
    if (checkpoint !== null) this.note(`checkpoint ${checkpoint.length > 60 ? checkpoint.slice(0, 57) + '...' : checkpoint}`);
  }

  /** A restart found an attempt running: it is rolled back, then run again. */
  private async recoverInterrupted(): Promise<void> {
    const attempts = this.d.strategies.attempts(this.row.id);
    for (const r of attempts.filter((x) => x.status === 'running')) {
      this.d.storage.write(() => this.d.strategies.finishAttempt(r.id, 'interrupted', 'the daemon stopped during this attempt', this.d.now()));
      const a = this.strategy.attempt[r.attempt];
      if (a?.rollback) {
        const outcome = await this.rollback(a, true);
        this.d.storage.write(() => this.d.strategies.setRollback(r.id, outcome));
      }
      this.emit('strategy:attempt', { attempt: r.name, index: r.attempt + 1, status: 'interrupted' });
    }
  }

  /** Runs one attempt; true when it succeeded. Throws when the phase was stopped. */
  private async tryAttempt(a: Attempt): Promise<boolean> {
    const label = this.label(a);
    const attemptId = this.d.storage.write(() => {
      this.d.strategies.update(this.row.id, { attempt: a.index }, this.d.now());
      return this.d.strategies.startAttempt(this.row.id, a.index, a.name, this.d.now());
    });
    this.row = this.d.strategies.get(this.row.id)!;
    this.emit('strategy:attempt', { attempt: a.name, index: a.index + 1, of: this.strategy.attempt.length, status: 'running' });
    this.note(`${label} running`);
    const r = await this.runAttempt(a);
    if (r.ok) {
      this.d.storage.write(() => {
        this.d.strategies.finishAttempt(attemptId, 'succeeded', null, this.d.now());
        this.d.strategies.update(this.row.id, { status: 'succeeded' }, this.d.now());
      });
      this.emit('strategy:attempt', { attempt: a.name, index: a.index + 1, status: 'succeeded' });
      this.note(`${label} succeeded`);
      return true;
    }
    if (this.ctx.stopped) {
      if (this.d.stopping()) throw new PhaseFailure('stopped: daemon stopping');
      this.d.storage.write(() => this.d.strategies.finishAttempt(attemptId, 'stopped', r.error, this.d.now()));
      const rolled = a.rollback ? await this.rollback(a, true) : null;
      if (rolled) this.d.storage.write(() => this.d.strategies.setRollback(attemptId, rolled));
      this.end('stopped');
      this.emit('strategy:attempt', { attempt: a.name, index: a.index + 1, status: 'stopped', error: r.error });
      this.note(`${label} stopped (${r.error})${rolled ? `; rollback ${rolled}` : ''}`);
      throw new PhaseFailure(r.error.startsWith('stopped') ? r.error : `stopped: ${r.error}`);
    }
    this.d.storage.write(() => this.d.strategies.finishAttempt(attemptId, 'failed', r.error, this.d.now()));
    const rolled = a.rollback ? await this.rollback(a, false) : null;
    if (rolled) this.d.storage.write(() => this.d.strategies.setRollback(attemptId, rolled));
    this.emit('strategy:attempt', {
      attempt: a.name,
      index: a.index + 1,
      status: 'failed',
      error: r.error,
      ...(rolled ? { rollback: rolled } : {}),
    });
    this.note(`${label} failed: ${r.error}${rolled ? `; rollback ${rolled === 'ok' ? `to ${this.row.checkpoint ?? 'checkpoint'} ok` : rolled}` : ''}`);
    if (this.ctx.stopped) {
      if (this.d.stopping()) throw new PhaseFailure('stopped: daemon stopping');
      this.end('stopped');
      throw new PhaseFailure('stopped');
    }
    return false;
  }

  private async runAttempt(a: Attempt): Promise<{ ok: boolean; error: string }> {
    if (a.run.type === 'agent') {
      if (!this.d.runAgentAttempt) {
        return { ok: false, error: `runs agent ${a.run.agent.ref}, but this daemon cannot run agents in strategy attempts yet` };
      }
      try {
        const r = await this.d.runAgentAttempt(this.ctx, a.run.agent.id, { timeoutMs: a.timeout?.ms ?? null, extra: this.extra });
        return { ok: r.ok, error: r.ok ? '' : (r.error ?? 'the agent failed') };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    }
    let script: string;
    try {
      script = this.ctx.shell(a.run.shell, this.extra);
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
    const r = await runStepShell(this.ctx, script, { label: this.label(a), timeoutMs: a.timeout?.ms ?? null });
    return { ok: r.ok, error: r.error };
  }

  /** Runs an attempt's rollback; returns "ok" or what went wrong. */
  private async rollback(a: Attempt, afterStop: boolean): Promise<string> {
    let script: string;
    try {
      script = this.ctx.shell(a.rollback ?? '', this.extra);
    } catch (err) {
      return `not run: ${(err as Error).message}`;
    }
    const r = await runStepShell(this.ctx, script, {
      label: `rollback of "${a.name}"`,
      ...(afterStop ? { ignoreStop: true, timeoutMs: STOPPED_ROLLBACK_TIMEOUT_MS } : {}),
    });
    if (!r.ok) this.d.logger.warn('strategy rollback failed', { pipeline: this.pipelineId, attempt: a.name, error: r.error });
    return r.ok ? 'ok' : `failed (${r.error})`;
  }

  /**
   * Every attempt failed: takes on_exhaust steps (core/recovery's cursor and
   * the actions a strategy runs); true to start over from the first attempt.
   * A runbook action runs, then the next step is taken at once.
   */
  private async onExhaust(): Promise<boolean> {
    const summary = this.d.strategies
      .attempts(this.row.id)
      .filter((x) => x.status === 'failed')
      .slice(-this.strategy.attempt.length)
      .map((x) => `${x.name}: ${x.error ?? 'failed'}`)
      .join('; ');
    const what = `strategy ${this.strategy.name}: every attempt failed (${summary})`;
    for (;;) {
      const taken = takeStep(this.strategy.on_exhaust, parseCursor(this.row.exhaust));
      if (!taken) {
        this.end('exhausted');
        this.note('exhausted');
        throw new PhaseFailure(what);
      }
      const { step, cursor } = taken;
      this.update({ exhaust: JSON.stringify(cursor) });
      const action = actionIn('strategy.on_exhaust', step);
      // Every step but escalate (its own event says it) is announced as `action:<name>`.
      const announce = () => this.emit(`action:${action.name}`, { error: what, on: 'on_exhaust' });
      switch (action.kind) {
        case 'runbook':
          announce();
          await this.d.runAction(this.ctx, action.id, this.extra);
          continue;
        case 'unsupported':
          // Loading rejects these (core/recovery's table): rollback is done per attempt, the rest has nothing to act on.
          announce();
          continue;
        case 'builtin':
          switch (action.name) {
            case 'restart':
              announce();
              this.update({ attempt: 0 });
              this.note(`exhausted; starting over (${step.text})`);
              return true;
            case 'escalate':
              this.end('exhausted');
              this.note('exhausted; escalated');
              this.d.events.emit({
                name: 'escalate',
                subject: this.pipelineId,
                project: this.ctx.record.project,
                data: escalateData({
                  source: 'strategy',
                  reason: what,
                  pipeline: this.ctx.record.state.handle,
                  phase: this.ctx.phase.name,
                  detail: { strategy: this.strategy.name },
                }),
              });
              this.d.logger.warn('strategy exhausted, escalated', { pipeline: this.pipelineId, strategy: this.strategy.id });
              throw new PhaseEscalation(what);
            case 'abandon':
              announce();
              this.end('exhausted');
              this.note('exhausted; abandon');
              throw new PhaseFailure(what);
            default:
              return unreachable(action);
          }
        default:
          return unreachable(action);
      }
    }
  }

  private stoppedBeforeAttempts(reason: string | null): never {
    if (!this.d.stopping()) this.end('stopped');
    throw new PhaseFailure(`stopped${reason ? `: ${reason}` : ''}`);
  }

  private end(status: 'exhausted' | 'stopped'): void {
    this.d.storage.write(() => this.d.strategies.update(this.row.id, { status }, this.d.now()));
  }
}
