/**
 * The imperative shell around the pipeline state machine. Each event is
 * applied in one transaction (state row, phase-run rows and emitted events
 * together); effects are carried out after the outermost commit (through
 * `Storage.afterCommit`, also when a caller's write encloses this one), and
 * their outcomes come back as new events. On start, `reconcile()` picks up
 * every pipeline that was under way when the previous daemon stopped or died.
 */
import { join } from 'node:path';
import { OjError, type JsonValue, type PipelineUpdate } from '@oj/protocol';
import type { Logger } from 'winston';
import type { EventLog } from '../events/event-log.js';
import { IllegalTransitionError, step, type PhaseRecovery, type PipelineEffect, type PipelineEvent } from '../core/pipeline-machine.js';
import { planOf, type PhaseDefinition, type PipelineDefinition } from '../core/pipeline-definition.js';
import { newPipelineState, TERMINAL, type PipelineState, type PipelineStatus } from '../core/pipeline-state.js';
import type { UpkeepEvent } from '../core/pipeline-upkeep.js';
import { allocateKey, allocateNumber, idWithNumber } from '../core/pipeline-id-numbers.js';
import type { EscalationSource } from '../core/recovery/index.js';
import { baseId, projectTag } from './pipeline-ids.js';
import { keyAnywhere, keyInProject } from './pipeline-lookup.js';
import type { PhaseOutcome } from './phase-runner.js';
import { toPipelineInfo, type PipelineRecord } from '../storage/pipeline-store.js';
import type { Storage } from '../storage/storage.js';
import { isDiskFull } from '../storage/disk-full.js';
import { faultPoint } from '../fault-point.js';
import { RoomRetry } from './room-retry.js';
import { endLeftRuns } from './left-runs.js';

export interface CreatePipeline {
  project: string;
  definition: PipelineDefinition;
  /** Values for the definition's inputs. */
  inputs: Record<string, JsonValue>;
  /** Extra values usable as placeholders (bound command args). */
  vars?: Record<string, JsonValue>;
  label?: string | null;
  owner?: Record<string, JsonValue> | null;
}

/** What the engine needs from the world outside the state machine. */
export interface EngineServices {
  /** Starts a phase run; resolves with its outcome. */
  startPhase(record: PipelineRecord, phase: PhaseDefinition, run: number, logFile: string, io: PhaseIo): {
    stop(reason: string): void;
    done: Promise<PhaseOutcome>;
  };
  /**
   * Resolves defaults and the runtime values (workspace, branch...) of a new
   * pipeline: `{pipeline}`/`{name}` are its id in its project; directories
   * and branches it gets by default are named after its key.
   */
  resolveVars(c: CreatePipeline, names: { key: string; handle: string }): { vars: Record<string, JsonValue>; workspace: string | null };
  prepareWorkspace(record: PipelineRecord): Promise<void>;
  /** Called once a pipeline ends (workspace clean-up, queue item completion...). */
  finished(record: PipelineRecord, status: 'done' | 'failed' | 'cancelled'): void;
  runHook(record: PipelineRecord, hook: string, phase: string | null, error: string | null): void;
  /** A step of a phase's on_fail chain (see the machine's `recover` effect). */
  recover(record: PipelineRecord, step: PhaseRecovery, phase: string, error: string): void;
  maxPhaseVisits(project: string): number;
}

export interface PhaseIo {
  waiting(reason: { kind: 'lock' | 'semaphore' | 'guard' | 'event' | 'human' | 'workspace'; name: string; detail?: string }): void;
  running(): void;
  processGroup(pgid: number, start: number | null): void;
  /** Hands the pipeline to a human while this run is under way (see escalateRun); true when it took it. */
  escalate(reason: string, source: EscalationSource): boolean;
}

/**
 * Hears a pipeline as it is after each committed change. `cause`: a step of
 * its machine, or a change of its record outside it (a label, archived: see
 * amend), which moves it nowhere.
 */
type Listener = (id: string, update: PipelineUpdate, cause: 'step' | 'amend') => void;

/**
 * Called inside the transaction that ends a pipeline, so that what depends on
 * the outcome (a queue item's completion) commits with it or not at all.
 */
export type TerminalHook = (record: PipelineRecord, status: 'done' | 'failed' | 'cancelled') => void;

export class PipelineEngine {
  private readonly live = new Map<string, { run: number; stop(reason: string): void; stopped?: boolean }>();
  private readonly listeners = new Set<Listener>();
  private readonly terminalHooks: TerminalHook[] = [];
  private shuttingDown = false;
  /** Outcome writes, tried again while the disk is full. */
  private readonly room: RoomRetry;

  constructor(
    private readonly storage: Storage,
    private readonly events: EventLog,
    private readonly logger: Logger,
    private readonly logsDir: string,
    /** What the engine needs from the world outside the state machine (the pipeline runtime). */
    private readonly svc: EngineServices,
  ) {
    this.room = new RoomRetry(logger);
  }

  /** Registers a hook run inside the transaction that ends a pipeline (see TerminalHook). */
  onTerminal(hook: TerminalHook): void {
    this.terminalHooks.push(hook);
  }

  get store() {
    return this.storage.pipelines;
  }

  /** Creates a pipeline and starts it. */
  create(c: CreatePipeline): PipelineRecord {
    const base = baseId(c.definition.name, c.inputs, c.definition.inputs);
    return this.storage.write(() => {
      // In the transaction that inserts it: a failed create hands out no number.
      // Ids are counted per project; the stored key stays unique across projects.
      const ids = this.storage.pipelineIds;
      const n = allocateNumber(base, ids.handles(c.project));
      const handle = idWithNumber(base, n);
      const id = allocateKey(base, n, projectTag(c.project), ids);
      const { vars, workspace } = this.svc.resolveVars(c, { key: id, handle });
      const record: PipelineRecord = {
        state: newPipelineState(id, this.storage.now(), handle),
        project: c.project,
        runbook: c.definition.runbook,
        name: c.definition.name,
        definition: c.definition,
        vars,
        workspace,
        label: c.label ?? null,
        archived: false,
        owner: c.owner ?? null,
      };
      this.store.insert(record);
      return this.apply(id, { type: 'start' });
    });
  }

  /**
   * Looks a pipeline up by its id, its key or a unique prefix. In `project`
   * (when given): its id there (or a unique prefix of one), or its key; a
   * pipeline of another project is not found (the error says where it is).
   * In every project (no `project`): a key first (it names one pipeline), then
   * an id (ambiguous when several projects have it: the error lists their
   * keys), then a unique prefix of a key.
   */
  resolve(idOrPrefix: string, project?: string): PipelineRecord {
    const key = project !== undefined ? keyInProject(this.store, idOrPrefix, project) : keyAnywhere(this.store, idOrPrefix);
    const r = this.store.get(key);
    if (!r) throw OjError.notFound('pipeline', idOrPrefix);
    return r;
  }

  /** Applies one event: state + events + phase runs in one transaction, then (after the outermost commit) the effects. */
  apply(id: string, event: PipelineEvent): PipelineRecord {
    const pending: PipelineEffect[] = [];
    let changed = false;
    const record = this.storage.write(() => {
      const r = this.store.get(id);
      if (!r) throw OjError.notFound('pipeline', id);
      const now = this.storage.now();
      let t;
      try {
        t = step(planOf(r.definition, this.svc.maxPhaseVisits(r.project)), r.state, event, now);
      } catch (err) {
        if (err instanceof IllegalTransitionError) {
          throw OjError.illegalState(`pipeline ${r.state.handle}: ${err.message}`, { state: err.from, id: r.state.handle });
        }
        throw err;
      }
      if (t.state === r.state && t.effects.length === 0) return r;
      const updated: PipelineRecord = { ...r, state: t.state };
      changed = true;
      this.store.saveState(updated, r.state);
      if (TERMINAL.has(t.state.status) && !TERMINAL.has(r.state.status)) {
        for (const hook of this.terminalHooks) hook(updated, t.state.status as 'done' | 'failed' | 'cancelled');
      }
      for (const e of t.effects) {
        if (e.type === 'emit') {
          this.events.emit({ name: e.name, subject: id, project: r.project, data: e.data });
        } else if (e.type === 'startPhase') {
          this.store.startRun(id, e.run, e.phase, this.logFile(id, e.run, e.phase), now);
        } else if (e.type === 'stopPhase') {
          // Its processes are ended after the commit: until they are seen gone, their group stays recorded.
          this.store.finishRun(id, e.run, 'cancelled', null, e.reason, now, true);
        }
        pending.push(e);
      }
      return updated;
    });
    // After the outermost commit (this write may be joined to a caller's; at once outside a write):
    // a pipeline whose creation or step rolls back (the disk refused it, say) starts nothing and tells nobody.
    this.storage.afterCommit(() => {
      if (changed) this.notify(id, { kind: 'status', pipeline: toPipelineInfo(record) }, 'step');
      for (const e of pending) this.execute(record, e);
    });
    return record;
  }

  /**
   * Changes a pipeline's record outside its machine (a label, archived): the
   * row and the change's events in one transaction, and followers hear the
   * pipeline as it is then once that commits. `change` answers null when
   * nothing changes (then nothing is written or told).
   */
  amend(id: string, change: (r: PipelineRecord) => { record: PipelineRecord; events: UpkeepEvent[] } | null): PipelineRecord {
    return this.storage.write(() => {
      const r = this.store.get(id);
      if (!r) throw OjError.notFound('pipeline', id);
      const c = change(r);
      if (!c) return r;
      this.store.save(c.record);
      for (const e of c.events) this.events.emit({ name: e.name, subject: id, project: r.project, data: e.data });
      this.storage.afterCommit(() => this.notify(id, { kind: 'status', pipeline: toPipelineInfo(c.record) }, 'amend'));
      return c.record;
    });
  }

  /** Applies a user request; unknown ids and illegal transitions become OjErrors. */
  request(idOrPrefix: string, event: PipelineEvent, project?: string): PipelineRecord {
    const r = this.resolve(idOrPrefix, project);
    return this.apply(r.state.id, event);
  }

  /**
   * Has a running pipeline wait for a human, under `name` (a monitor's
   * `escalate`: the pipeline shows who holds it until they let go, see
   * releaseHuman). Returns false, changing nothing, unless it is running.
   */
  holdForHuman(id: string, name: string, detail: string): boolean {
    const r = this.store.get(id);
    if (!r || r.state.status !== 'running') return false;
    this.apply(id, { type: 'phaseWaiting', run: r.state.run, waitingFor: { kind: 'human', name, detail } });
    return true;
  }

  /** A pipeline held for a human under `name` (holdForHuman) goes back to running; false, changing nothing, when it is not held so. */
  releaseHuman(id: string, name: string): boolean {
    const r = this.store.get(id);
    if (!r) return false;
    const s = r.state;
    if (s.status !== 'waiting' || s.waitingFor?.kind !== 'human' || s.waitingFor.name !== name) return false;
    this.apply(id, { type: 'phaseRunning', run: s.run });
    return true;
  }

  private logFile(id: string, run: number, phase: string): string {
    return join(this.logsDir, id, `${String(run).padStart(3, '0')}-${phase.replace(/[^A-Za-z0-9_-]/g, '_')}.log`);
  }

  private execute(record: PipelineRecord, e: PipelineEffect): void {
    const id = record.state.id;
    try {
      switch (e.type) {
        case 'emit':
          break;
        case 'startPhase':
        case 'resumePhase':
          this.startPhase(record, e.phase, e.run);
          break;
        case 'stopPhase': {
          const live = this.live.get(id);
          faultPoint('before-effect:stop');
          if (live && live.run === e.run) {
            live.stopped = true;
            live.stop(e.reason);
          }
          break;
        }
        case 'prepareWorkspace':
          this.svc.prepareWorkspace(record).then(
            () => this.safeApply(id, { type: 'workspaceReady' }),
            (err: unknown) => this.safeApply(id, { type: 'workspaceFailed', error: (err as Error).message }),
          );
          break;
        case 'hook':
          this.svc.runHook(record, e.hook, e.phase, e.error);
          break;
        case 'recover':
          this.svc.recover(record, e.step, e.phase, e.error);
          break;
        case 'finished':
          this.svc.finished(record, e.status);
          break;
      }
    } catch (err) {
      this.logger.error('pipeline effect failed', { pipeline: id, effect: e.type, error: String(err) });
    }
  }

  private startPhase(record: PipelineRecord, phaseName: string, run: number): void {
    const id = record.state.id;
    const phase = record.definition.phases.find((p) => p.name === phaseName);
    if (!phase) {
      this.safeApply(id, { type: 'phaseFailed', run, error: `no phase named ${phaseName}` });
      return;
    }
    // The state this phase starts from, while svc.startPhase runs (synchronously): a phase that reports
    // itself running before it returns (no gate made it wait) changes nothing in that state, and
    // needs no read to find that out.
    let startingFrom: PipelineState | null = record.state;
    const io: PhaseIo = {
      waiting: (waitingFor) => this.safeApply(id, { type: 'phaseWaiting', run, waitingFor }),
      running: () => {
        const s = startingFrom;
        if (s && s.run === run && s.status === 'running' && s.waitingFor === null) return;
        this.applyIfChanged(id, { type: 'phaseRunning', run });
      },
      processGroup: (pgid, start) => this.room.write(id, `phase run ${run} started`, () => this.storage.write(() => this.store.setRunPgid(id, run, pgid, start))),
      escalate: (reason, source) => this.escalateRun(id, run, reason, source),
    };
    const handle = this.svc.startPhase(record, phase, run, this.logFile(id, run, phaseName), io);
    startingFrom = null;
    this.live.set(id, { run, stop: handle.stop });
    handle.done.then(
      (outcome) => this.phaseEnded(id, run, outcome),
      (err: unknown) => this.phaseEnded(id, run, { ok: false, error: String(err) }),
    );
  }

  private phaseEnded(id: string, run: number, outcome: PhaseOutcome): void {
    const live = this.live.get(id);
    if (live?.run === run) this.live.delete(id);
    // Phases ended by a daemon stop stay 'running' on disk: the next start re-runs them.
    if (this.shuttingDown) return;
    // A run a step stopped (its row ended then): its processes are gone now.
    const stopped = live?.run === run && live.stopped === true;
    faultPoint('after-effect:phase');
    // The ends of phases in one turn of the event loop share a transaction (Storage.writeSoon);
    // no answer waits for it to be durable (quiet: a follower's notification waits for its own fsync).
    this.room.write(id, `phase run ${run} ended`, () =>
      this.storage.writeSoon(() => {
        this.store.finishRun(
          id,
          run,
          outcome.ok ? 'done' : 'failed',
          outcome.exitCode ?? null,
          outcome.ok ? null : (outcome.error ?? 'failed'),
          this.storage.now(),
        );
        if (stopped) this.store.processGroupGone(id, run);
        // The phase's releases (its locks and slots) with its outcome: the next phase starts once this commits.
        for (const settle of outcome.settle ?? []) this.settleWithOutcome(id, run, settle);
        this.safeApply(
          id,
          outcome.ok ? { type: 'phaseSucceeded', run } : { type: 'phaseFailed', run, error: outcome.error ?? 'failed' },
        );
      }, { quiet: true }),
    );
  }

  /** One of a phase's releases, in the outcome's write; a failure (other than a full disk) must not lose the outcome. */
  private settleWithOutcome(id: string, run: number, settle: () => void): void {
    try {
      this.storage.write(settle);
    } catch (err) {
      if (isDiskFull(err)) throw err;
      this.logger.warn('a release of the phase was not recorded', { pipeline: id, run, error: String(err) });
    }
  }

  /**
   * Hands a pipeline to a human from outside its phase's own steps (a lock's
   * on_stale, a semaphore's on_orphan): the machine stops `run` (the current
   * run when null) and the pipeline waits, escalated. True when the pipeline
   * is now escalated in that run; false when the machine did not take it (the
   * run is over or the pipeline ended). A pipeline a human already has (an
   * escalate step of its phase) stays as it is, and counts as taken.
   */
  escalateRun(id: string, run: number | null, reason: string, source: EscalationSource): boolean {
    const current = this.store.get(id);
    if (!current) return false;
    const r = run ?? current.state.run;
    try {
      const s = this.apply(id, { type: 'escalate', run: r, reason, source }).state;
      return s.run === r && (s.status === 'escalated' || (s.status === 'waiting' && s.waitingFor?.kind === 'human'));
    } catch (err) {
      this.logger.warn('pipeline not escalated', { pipeline: id, error: (err as Error).message });
      return false;
    }
  }

  /**
   * safeApply for an event that usually changes nothing (a phase reporting
   * itself running when no gate made it wait): the machine's step on the
   * stored state decides first, outside any transaction (nothing can run in
   * between: it is synchronous), and a step that changes nothing costs no
   * write.
   */
  private applyIfChanged(id: string, event: PipelineEvent): void {
    const r = this.store.get(id);
    if (!r) return;
    try {
      const t = step(planOf(r.definition, this.svc.maxPhaseVisits(r.project)), r.state, event, this.storage.now());
      if (t.state === r.state && t.effects.length === 0) return;
    } catch {
      // an illegal step: safeApply logs it
    }
    this.safeApply(id, event);
  }

  /** Applies an event coming from an effect; an error is logged, never thrown. */
  private safeApply(id: string, event: PipelineEvent): void {
    // Inside a write (a phase's end) a full disk fails the enclosing write, which is tried again as a whole.
    if (!this.storage.writing) {
      this.room.write(id, event.type, () => {
        this.apply(id, event);
      });
      return;
    }
    try {
      this.apply(id, event);
    } catch (err) {
      if (isDiskFull(err)) throw err;
      this.logger.warn('pipeline event not applied', { pipeline: id, event: event.type, error: (err as Error).message });
    }
  }

  /**
   * After a restart: processes of phase runs the old daemon left are ended
   * (their runs marked failed), and each pipeline still under way runs its
   * current phase again (at-least-once).
   */
  reconcile(): { resumed: string[]; killed: number } {
    const { adopting, killed, spared } = endLeftRuns(this.storage, this.store);
    const resumed: string[] = [];
    for (const r of this.store.active()) {
      if (r.state.status === 'escalated') continue;
      this.safeApply(r.state.id, { type: 'reconcile', adopt: adopting.has(`${r.state.id}#${r.state.run}`) });
      resumed.push(r.state.id);
    }
    if (spared.length) {
      this.logger.warn('left recorded process groups alone: their leader is gone or is another process now (pid reused)', {
        processGroups: spared,
      });
    }
    if (resumed.length || killed) this.logger.info('pipelines reconciled', { resumed, killedProcessGroups: killed });
    return { resumed, killed };
  }

  /** Resolves with the status once the pipeline has ended (or at once if it has). */
  waitForEnd(id: string, signal?: AbortSignal): Promise<PipelineStatus> {
    const current = this.store.get(id);
    if (!current) return Promise.reject(OjError.notFound('pipeline', id));
    if (TERMINAL.has(current.state.status)) return Promise.resolve(current.state.status);
    return new Promise((resolve) => {
      const off = this.subscribe((pid, u) => {
        if (pid === id && u.kind === 'status' && TERMINAL.has(u.pipeline.status)) {
          off();
          resolve(u.pipeline.status);
        }
      });
      signal?.addEventListener('abort', () => off(), { once: true });
    });
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(id: string, update: PipelineUpdate, cause: 'step' | 'amend'): void {
    for (const l of this.listeners) {
      try {
        l(id, update, cause);
      } catch (err) {
        this.logger.warn('pipeline listener failed', { error: String(err) });
      }
    }
  }

  /** Stops every live phase (daemon shutdown); their runs are re-run after restart. */
  stopAll(): void {
    this.shuttingDown = true;
    this.room.stop();
    for (const [, live] of this.live) live.stop('daemon stopping');
  }
}
