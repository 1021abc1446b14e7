/**
 * The pipeline state machine: (state, event, now) -> (state, effects). Pure:
 * no I/O, no clock of its own. The engine persists the new state with the
 * events it emits in one transaction, then carries out the effects, whose
 * outcomes come back as further events.
 */
import type { OnFailStep, PipelinePlan, PipelineState, PipelineStatus, WaitReason } from './pipeline-state.js';
import { TERMINAL } from './pipeline-state.js';
import { START, actionIn, escalateData, isBuiltinAction, takeStep, unreachable, type ActionIn, type EscalationSource } from './recovery/index.js';

export type PipelineEvent =
  | { type: 'start' }
  | { type: 'workspaceReady' }
  | { type: 'workspaceFailed'; error: string }
  | { type: 'phaseWaiting'; run: number; waitingFor: WaitReason }
  | { type: 'phaseRunning'; run: number }
  | { type: 'phaseSucceeded'; run: number }
  | { type: 'phaseFailed'; run: number; error: string }
  /**
   * Daemon restart found this pipeline mid-phase. `adopt`: the run left an
   * agent session that is still recorded as running, so the same run goes on
   * (same number, same start time) and adopts it; else the phase runs again.
   */
  | { type: 'reconcile'; adopt?: boolean }
  /**
   * Something outside the phase's own steps (a lock's `on_stale`, a
   * semaphore's `on_orphan`) hands the pipeline to a human while run `run`
   * is under way: the run is stopped, then the pipeline waits (escalated)
   * until a human moves it on (resume, skip, transition, cancel).
   */
  | { type: 'escalate'; run: number; reason: string; source: EscalationSource }
  | { type: 'transition'; phase: string }
  | { type: 'resume' }
  /** A human marks the current phase done: the pipeline moves on as if it had succeeded. */
  | { type: 'skip' }
  | { type: 'cancel'; reason: string };

export type PipelineEffect =
  | { type: 'prepareWorkspace' }
  | { type: 'startPhase'; phase: string; run: number }
  /** Carries on a run a previous daemon started (its record stays as it is). */
  | { type: 'resumePhase'; phase: string; run: number }
  | { type: 'stopPhase'; run: number; reason: string }
  | { type: 'emit'; name: string; data: Record<string, string | number> }
  | { type: 'hook'; hook: 'on_phase' | 'on_complete' | 'on_fail' | 'on_cancel'; phase: string | null; error: string | null }
  /** A step of a phase's on_fail chain the runtime carries out (see PhaseRecovery). */
  | { type: 'recover'; step: PhaseRecovery; phase: string; error: string }
  | { type: 'finished'; status: 'done' | 'failed' | 'cancelled' };

/**
 * What the runtime does for a step of a phase's on_fail: the built-in
 * rollback (the work tree back to its checkpoint), a runbook action, or,
 * for a step of a stored chain the phase cannot run, a note.
 */
export type PhaseRecovery = Exclude<ActionIn<'phase.on_fail'>, { kind: 'builtin' }> | { kind: 'builtin'; name: 'rollback' };

export interface Transition {
  state: PipelineState;
  effects: PipelineEffect[];
}

export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly from: PipelineStatus,
    readonly event: PipelineEvent['type'],
    detail?: string,
  ) {
    super(`cannot ${event} a pipeline that is ${from}${detail ? `: ${detail}` : ''}`);
  }
}

export function step(plan: PipelinePlan, s: PipelineState, e: PipelineEvent, now: number): Transition {
  const t = new Builder(plan, { ...s, updatedAt: now }, now);
  switch (e.type) {
    case 'start':
      t.require(s.status === 'pending', e.type);
      t.begin();
      break;
    case 'workspaceReady':
      if (s.status !== 'waiting' || s.waitingFor?.kind !== 'workspace') break;
      t.emit('pipeline:started');
      t.enter(t.firstPhase());
      break;
    case 'workspaceFailed':
      if (TERMINAL.has(s.status)) break;
      t.fail(`workspace: ${e.error}`);
      break;
    case 'phaseWaiting':
      if (e.run !== s.run || TERMINAL.has(s.status)) break;
      t.set({ status: 'waiting', waitingFor: e.waitingFor });
      break;
    case 'phaseRunning':
      if (e.run !== s.run || TERMINAL.has(s.status)) break;
      // Already running (no gate made it wait): nothing changes, so nothing is written.
      if (s.status === 'running' && s.waitingFor === null) return { state: s, effects: [] };
      t.set({ status: 'running', waitingFor: null });
      break;
    case 'phaseSucceeded': {
      if (e.run !== s.run || TERMINAL.has(s.status) || s.status === 'escalated') break;
      const phase = t.currentPhase();
      t.emit(`pipeline:${s.handle}:${phase}`, { phase });
      const recovery = { ...t.state.recovery };
      delete recovery[phase];
      t.set({ recovery });
      const next = t.nextPhase(phase);
      if (next === null) t.complete();
      else t.enter(next);
      break;
    }
    case 'phaseFailed': {
      if (e.run !== s.run || TERMINAL.has(s.status) || s.status === 'escalated') break;
      t.phaseFailed(e.error);
      break;
    }
    case 'reconcile':
      if (TERMINAL.has(s.status) || s.status === 'escalated') break;
      if (s.status === 'pending') {
        t.effects.push(...step(plan, s, { type: 'start' }, now).effects);
        break;
      }
      if (s.waitingFor?.kind === 'workspace') {
        t.effect({ type: 'prepareWorkspace' });
        break;
      }
      // Handed to a human by an escalate step: it stays theirs (the options still work).
      if (s.status === 'waiting' && s.waitingFor?.kind === 'human' && !e.adopt) break;
      if (s.phase && e.adopt) {
        t.emit('pipeline:adopted', { phase: s.phase, run: s.run });
        t.effect({ type: 'resumePhase', phase: s.phase, run: s.run });
        break;
      }
      if (s.phase) t.rerun('daemon restarted');
      break;
    case 'escalate':
      if (e.run !== s.run || !s.phase || (s.status !== 'running' && s.status !== 'waiting')) break;
      // Already the human's (an escalate step of the phase itself): one escalation is enough.
      if (s.waitingFor?.kind === 'human') break;
      // Two stages: the run's work is interrupted, then the pipeline waits for a human;
      // the stopped run's outcome is then ignored (escalated), so on_fail does not run.
      t.effect({ type: 'stopPhase', run: s.run, reason: `escalated: ${e.reason}` });
      t.set({ status: 'escalated', waitingFor: { kind: 'human', name: 'escalation', detail: e.reason }, error: e.reason });
      t.emit('escalate', escalateData({ source: e.source, reason: e.reason, pipeline: s.handle, phase: s.phase }));
      break;
    case 'transition':
      t.require(s.status !== 'done' && s.status !== 'cancelled', e.type);
      if (!plan.phases.some((p) => p.name === e.phase)) {
        throw new IllegalTransitionError(s.status, e.type, `no phase named "${e.phase}"`);
      }
      if (s.status === 'running' || s.status === 'waiting') t.effect({ type: 'stopPhase', run: s.run, reason: 'transition' });
      t.set({ error: null, finishedAt: null });
      t.enter(e.phase, { countVisit: false });
      break;
    case 'resume':
      t.require(s.status === 'failed' || s.status === 'escalated' || s.status === 'waiting', e.type, 'only failed, escalated or waiting pipelines resume');
      if (!s.phase) {
        // Failed before its first phase (its workspace could not be made): start over.
        t.require(s.status === 'failed', e.type, 'it is still preparing its workspace');
        t.set({ error: null, finishedAt: null, recovery: {} });
        t.begin();
        break;
      }
      if (s.status === 'waiting') t.effect({ type: 'stopPhase', run: s.run, reason: 'resume' });
      t.set({ error: null, finishedAt: null, recovery: {} });
      t.enter(s.phase, { countVisit: false });
      break;
    case 'skip': {
      t.require(!TERMINAL.has(s.status) || s.status === 'failed', e.type, 'the pipeline has ended');
      if (!s.phase) throw new IllegalTransitionError(s.status, e.type, 'it never started a phase');
      if (s.status === 'running' || s.status === 'waiting') t.effect({ type: 'stopPhase', run: s.run, reason: 'marked done' });
      t.set({ error: null, finishedAt: null });
      t.emit(`pipeline:${s.handle}:${s.phase}`, { phase: s.phase, skipped: 1 });
      const next = t.nextPhase(s.phase);
      if (next === null) t.complete();
      else t.enter(next);
      break;
    }
    case 'cancel':
      t.require(!TERMINAL.has(s.status), e.type);
      if (s.status === 'running' || s.status === 'waiting') t.effect({ type: 'stopPhase', run: s.run, reason: 'cancelled' });
      t.set({ status: 'cancelled', waitingFor: null, error: e.reason, finishedAt: now });
      t.emit('pipeline:cancelled', { reason: e.reason });
      t.effect({ type: 'hook', hook: 'on_cancel', phase: s.phase, error: e.reason });
      t.effect({ type: 'finished', status: 'cancelled' });
      break;
  }
  return { state: t.state, effects: t.effects };
}

class Builder {
  readonly effects: PipelineEffect[] = [];

  constructor(
    private readonly plan: PipelinePlan,
    public state: PipelineState,
    private readonly now: number,
  ) {}

  set(patch: Partial<PipelineState>): void {
    this.state = { ...this.state, ...patch };
  }

  effect(e: PipelineEffect): void {
    this.effects.push(e);
  }

  emit(name: string, data: Record<string, string | number> = {}): void {
    // Names and data carry the pipeline's id in its project (wake_on = ["pipeline:{after}:merged"]);
    // the engine gives each event the stored key as its subject.
    this.effects.push({ type: 'emit', name, data: { pipeline: this.state.handle, ...data } });
  }

  require(ok: boolean, event: PipelineEvent['type'], detail?: string): void {
    if (!ok) throw new IllegalTransitionError(this.state.status, event, detail);
  }

  /** Starts the pipeline: its workspace first when it needs one, else the first phase. */
  begin(): void {
    if (this.plan.needsWorkspace) {
      this.set({ status: 'waiting', waitingFor: { kind: 'workspace', name: 'workspace', detail: 'creating' } });
      this.effect({ type: 'prepareWorkspace' });
    } else {
      this.emit('pipeline:started');
      this.enter(this.firstPhase());
    }
  }

  firstPhase(): string {
    const first = this.plan.phases[0];
    if (!first) throw new Error('a pipeline needs at least one phase');
    return first.name;
  }

  currentPhase(): string {
    if (!this.state.phase) throw new Error(`pipeline ${this.state.handle} has no current phase`);
    return this.state.phase;
  }

  nextPhase(phase: string): string | null {
    const i = this.plan.phases.findIndex((p) => p.name === phase);
    const def = this.plan.phases[i];
    if (def && def.next !== undefined) return def.next;
    return this.plan.phases[i + 1]?.name ?? null;
  }

  /** Enters a phase; `keepError` keeps the failure that led here visible to it as {error} (on_fail jumps). */
  enter(phase: string, opts: { countVisit?: boolean; keepError?: boolean } = {}): void {
    const visits = { ...this.state.visits };
    if (opts.countVisit !== false) visits[phase] = (visits[phase] ?? 0) + 1;
    this.set({ visits });
    if ((visits[phase] ?? 0) > this.plan.maxPhaseVisits) {
      this.set({ phase });
      this.fail(
        `circuit breaker: phase "${phase}" entered ${visits[phase]} times (limit ${this.plan.maxPhaseVisits}); ` +
          'fix the loop, then oj pipeline resume',
      );
      return;
    }
    const run = this.state.run + 1;
    this.set({ status: 'running', phase, run, waitingFor: null, phaseStartedAt: this.now, error: opts.keepError ? this.state.error : null });
    this.emit('pipeline:phase', { phase });
    this.effect({ type: 'hook', hook: 'on_phase', phase, error: null });
    this.effect({ type: 'startPhase', phase, run });
  }

  rerun(reason: string): void {
    const phase = this.currentPhase();
    const run = this.state.run + 1;
    this.set({ status: 'running', run, waitingFor: null, phaseStartedAt: this.now });
    this.emit('pipeline:phase', { phase, reason });
    this.effect({ type: 'startPhase', phase, run });
  }

  complete(): void {
    this.set({ status: 'done', waitingFor: null, finishedAt: this.now });
    this.emit('pipeline:complete');
    this.emit(`pipeline:${this.state.handle}:complete`);
    this.effect({ type: 'hook', hook: 'on_complete', phase: this.state.phase, error: null });
    this.effect({ type: 'finished', status: 'done' });
  }

  fail(error: string): void {
    this.set({ status: 'failed', waitingFor: null, error, finishedAt: this.now, failureCount: this.state.failureCount + 1 });
    this.emit('pipeline:failed', { error });
    this.emit(`pipeline:${this.state.handle}:failed`, { error });
    this.effect({ type: 'hook', hook: 'on_fail', phase: this.state.phase, error });
    this.effect({ type: 'finished', status: 'failed' });
  }

  phaseFailed(error: string): void {
    const phase = this.currentPhase();
    const def = this.plan.phases.find((p) => p.name === phase);
    this.emit(`pipeline:${this.state.handle}:${phase}:failed`, { phase, error });
    const onFail = def?.onFail;
    if (!onFail) {
      this.fail(`phase "${phase}" failed: ${error}`);
      return;
    }
    if (onFail.kind === 'phase') {
      this.set({ error });
      this.enter(onFail.phase, { keepError: true });
      return;
    }
    this.advanceChain(phase, onFail.steps, error);
  }

  /** Takes the next usable step of the phase's on_fail chain (core/recovery: cursor and the actions on_fail runs). */
  private advanceChain(phase: string, steps: OnFailStep[], error: string): void {
    const taken = takeStep(
      steps.map((s) => ({ ...s, max: s.max ?? null })),
      this.state.recovery[phase] ?? START,
    );
    if (!taken) {
      this.fail(`phase "${phase}" failed and its on_fail chain is exhausted: ${error}`);
      return;
    }
    const step = taken.step;
    this.set({ recovery: { ...this.state.recovery, [phase]: taken.cursor } });
    const action = actionIn('phase.on_fail', {
      action: step.action,
      id: step.runbook ?? null,
      builtin: step.runbook === undefined && isBuiltinAction(step.action),
    });
    this.emit(`action:${action.name}`, { phase, error });
    switch (action.kind) {
      case 'runbook':
      case 'unsupported':
        // A runbook action runs in the engine (a stored step the phase cannot run is noted there);
        // the phase is then retried, and the chain moves on if it fails again.
        this.set({ error });
        this.effect({ type: 'recover', step: action, phase, error });
        this.rerun(`after ${action.name}`);
        return;
      case 'builtin':
        switch (action.name) {
          case 'restart':
            this.set({ error });
            this.rerun('restart after failure');
            return;
          case 'rollback':
            // The work tree goes back to its checkpoint (in the engine), then the phase runs again on it.
            this.set({ error });
            this.effect({ type: 'recover', step: { kind: 'builtin', name: 'rollback' }, phase, error });
            this.rerun('after rollback');
            return;
          case 'escalate':
            this.set({ status: 'escalated', waitingFor: { kind: 'human', name: 'escalation', detail: error }, error });
            this.emit('escalate', escalateData({ source: 'pipeline', reason: error, pipeline: this.state.handle, phase }));
            return;
          case 'abandon':
            this.fail(`phase "${phase}" failed (abandon): ${error}`);
            return;
          default:
            return unreachable(action);
        }
      default:
        return unreachable(action);
    }
  }
}
