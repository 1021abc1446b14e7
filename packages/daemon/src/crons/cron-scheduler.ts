/**
 * Crons, the imperative shell around the pure slot machine (core/cron): for
 * every command, timer and run outcome it loads the cron's row, calls
 * `step`, writes the new state and the events in one transaction, and
 * carries out the effects (timers, hooks, runs) after the outermost commit.
 * What a run does is cron-runs.ts; rows and listings are cron-rows.ts.
 */
import { OjError, type CronMethods } from '@oj/protocol';
import type { Logger } from 'winston';
import { CronBusyError, slotToClaim, step, type CronEffect, type CronLive, type CronSlotEvent, type CronSlotState, type SkipRun, type SlotClaim } from '../core/cron/index.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import { TERMINAL } from '../core/pipeline-state.js';
import type { EventLog } from '../events/event-log.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { Cron } from '../runbook/model.js';
import type { PipelineRecord } from '../storage/pipeline-store.js';
import type { SharedCrons, SharedStore } from '../storage/shared-store.js';
import type { Storage } from '../storage/storage.js';
import { CronStore } from '../storage/worker-store.js';
import type { ShellHost } from '../adapters/shell-host.js';
import { cronRunsFrom, cronTiming, type ClusterPlacement } from '../runbook/cron-schedule.js';
import { cronKey, fromCronKey, plannedRuns, settingsOf, toInfo, toRow, toState } from './cron-rows.js';
import { CronRuns, type CronOwner } from './cron-runs.js';
import type { CronTickHook } from './cron-tick-hooks.js';
import { CronTimers } from './cron-timers.js';
import { requireFind, tryFind } from '../projects/find-primitive.js';

type CronInfo = CronMethods.CronInfo;

/** The shared store claims slots in the daemon's own database, inside the caller's transaction (SQLite). */
function claimsLocally(c: SharedCrons): c is SharedCrons & Required<Pick<SharedCrons, 'claimSlotNow'>> {
  return c.claimSlotNow !== undefined;
}

export interface CronSchedulerDeps {
  storage: Storage;
  /** Claims each due slot (a cron's identity and the slot's time): in a cluster only one daemon runs it. */
  shared: Pick<SharedStore, 'crons' | 'kind' | 'identity'>;
  events: EventLog;
  engine: PipelineEngine;
  projects: ProjectRegistry;
  logger: Logger;
  shell: ShellHost;
  tickHooks(): readonly CronTickHook[];
  now(): number;
}

export class CronScheduler {
  readonly store: CronStore;
  private readonly timers: CronTimers;
  private readonly runs: CronRuns;
  /** Ticks skipped in a row per cron (not stored: reported as one event when the run of skips ends). */
  private readonly skips = new Map<string, SkipRun>();
  /** The last slot each cron claimed here: a slot claimed while a backlog waited is still this daemon's when it runs. */
  private readonly claimed = new Map<string, number>();
  private stopped = false;

  constructor(private readonly d: CronSchedulerDeps) {
    this.store = new CronStore(d.storage.database);
    this.timers = new CronTimers(d.now);
    this.runs = new CronRuns(d, {
      pipelineCreated: (project, cron, record) => {
        this.apply(project, cron.name, cron, { type: 'pipelineStarted', pipeline: record.state.id });
        // A pipeline that ended while being created could not settle the run: settle it now.
        if (TERMINAL.has(record.state.status)) this.pipelineEnded(record, record.state.status as 'done' | 'failed' | 'cancelled');
      },
      ended: (project, cron, outcome, error) => this.runEnded(project, cron, outcome, error),
    });
    d.projects.onReload((root) => this.reloaded(root));
  }

  // ---- commands

  enable(project: string, name: string): { cron: CronInfo; changed: boolean } {
    const { value: cron } = requireFind(this.d.projects, project, 'cron', name);
    const { changed } = this.apply(project, cron.name, cron, { type: 'enable', armed: this.timers.armed(cronKey(project, cron.name)) });
    return { cron: this.info(project, cron.name), changed };
  }

  disable(project: string, name: string): { cron: CronInfo; changed: boolean } {
    const cron = tryFind(this.d.projects, project, 'cron', name);
    if (!cron && !this.store.get(project, name)) requireFind(this.d.projects, project, 'cron', name);
    const cronName = cron?.name ?? name;
    const { changed } = this.apply(project, cronName, cron, { type: 'disable' });
    return { cron: this.info(project, cronName), changed };
  }

  /** `oj cron run`: once now, enabled or not; the schedule is unchanged. */
  runNow(project: string, name: string): { cron: CronInfo; pipeline: string | null } {
    const { value: cron } = requireFind(this.d.projects, project, 'cron', name);
    try {
      this.apply(project, cron.name, cron, (s) => ({ type: 'runNow', live: this.live(project, s) }));
    } catch (err) {
      if (!(err instanceof CronBusyError)) throw err;
      throw OjError.illegalState(err.message, {
        hint: err.busy === true ? 'wait for the run to finish' : `oj pipeline show ${err.busy}`,
      });
    }
    // The run has started (effects run after the commit, before apply returns): its pipeline, if any, is recorded.
    const started = this.store.get(project, cron.name)?.last_pipeline ?? null;
    return { cron: this.info(project, cron.name), pipeline: started === null ? null : this.d.engine.store.handleOf(started) };
  }

  // ---- reading

  info(project: string, name: string): CronInfo {
    const cron = tryFind(this.d.projects, project, 'cron', name);
    const row = this.store.get(project, cron?.name ?? name);
    if (!cron && !row) requireFind(this.d.projects, project, 'cron', name);
    return toInfo(project, cron?.name ?? name, cron, row, this.pipelineName, this.placement(project));
  }

  list(project: string): CronInfo[] {
    const p = this.d.projects.get(project);
    const rows = new Map(this.store.list(project).map((r) => [r.name, r]));
    const defined = p.all('cron');
    const out = defined.map((c) => toInfo(project, c.name, c, rows.get(c.name), this.pipelineName, this.placement(project)));
    for (const [name, row] of rows) if (!defined.some((c) => c.name === name) && row.enabled === 1) out.push(toInfo(project, name, undefined, row, this.pipelineName, this.placement(project)));
    return out;
  }

  /** Upcoming run times: as planned while enabled, as they would be if enabled now otherwise. */
  next(project: string, name: string, count: number): CronMethods.CronNext {
    const { value: cron } = requireFind(this.d.projects, project, 'cron', name);
    const row = this.store.get(project, cron.name);
    const cluster = this.placement(project);
    const planned = plannedRuns(project, cron, row, count, cluster);
    const times = planned.length ? planned : cronRunsFrom(project, cron, this.d.now(), count, cluster);
    return { cron: cron.name, ...cronTiming(project, cron, cluster), enabled: row?.enabled === 1, times: times.map((t) => new Date(t).toISOString()) };
  }

  counts(): Record<string, number> {
    return { 'crons.enabled': this.store.enabled().length };
  }

  // ---- lifecycle

  /**
   * Daemon start: enabled crons resume; one whose slots passed while the
   * daemon was down catches up by its `catch_up`, each slot it runs claimed
   * first (in a cluster, a slot another daemon claimed is not run here).
   */
  async startAll(): Promise<void> {
    for (const row of this.store.list()) {
      const cron = tryFind(this.d.projects, row.project, 'cron', row.name);
      try {
        await this.claimAndStep(row.project, row.name, cron, 'restart', this.d.now());
      } catch (err) {
        this.d.logger.error('cron not resumed', { project: row.project, cron: row.name, error: String(err) });
      }
    }
  }

  /**
   * Claims the slot a `due` or `restart` step would run, and takes the step
   * (which decides at the time the slot was claimed for, so it runs the slot
   * claimed). A store that claims in the daemon's own database (SQLite) does
   * both in one transaction: one commit per tick. In a cluster the claim
   * comes first (another daemon may win it).
   */
  private async claimAndStep(project: string, name: string, cron: Cron | undefined, type: 'due' | 'restart', now: number): Promise<void> {
    const stepWith = (claim: SlotClaim | undefined) => (s: CronSlotState): CronSlotEvent => ({ type, live: this.live(project, s), claim });
    const crons = this.d.shared.crons;
    if (claimsLocally(crons)) {
      this.d.storage.write(() => {
        const slot = this.slotToClaim(project, name, cron, type, now);
        let claim: SlotClaim | undefined;
        if (slot !== null) {
          const mine = this.claimed.get(cronKey(project, name)) === slot || crons.claimSlotNow(project, name, slot, now);
          this.remember(project, name, slot, mine);
          claim = { slot, mine };
        }
        this.apply(project, name, cron, stepWith(claim), now);
      });
      return;
    }
    const claim = await this.claimFor(project, name, cron, type, now);
    if (this.stopped) return;
    this.apply(project, name, cron, stepWith(claim), now);
  }

  /** The slot a `due` or `restart` step would run now (core/cron slotToClaim), or null. */
  private slotToClaim(project: string, name: string, cron: Cron | undefined, type: 'due' | 'restart', now: number): number | null {
    const state = toState(name, this.store.get(project, name), this.skips.get(cronKey(project, name)) ?? null, now);
    return slotToClaim(state, cron ? settingsOf(project, cron, this.placement(project)) : null, type, now);
  }

  /** A slot claimed here stays this daemon's (a backlog may run it later); one claimed by another is logged. */
  private remember(project: string, name: string, slot: number, mine: boolean): void {
    if (mine) this.d.storage.afterCommit(() => this.claimed.set(cronKey(project, name), slot));
    else this.d.logger.debug('cron slot claimed by another daemon', { project, cron: name, slot: new Date(slot).toISOString() });
  }

  /**
   * Claims the slot a `due` or `restart` step would run in the shared
   * database: undefined when none would. A claim that cannot be made (the
   * shared database is away) is not this daemon's to run.
   */
  private async claimFor(project: string, name: string, cron: Cron | undefined, type: 'due' | 'restart', now: number): Promise<SlotClaim | undefined> {
    const key = cronKey(project, name);
    const slot = this.slotToClaim(project, name, cron, type, now);
    if (slot === null) return undefined;
    if (this.claimed.get(key) === slot) return { slot, mine: true };
    try {
      const mine = await this.d.shared.crons.claimSlot(project, name, slot, now);
      if (mine) this.claimed.set(key, slot);
      else this.d.logger.debug('cron slot claimed by another daemon', { project, cron: name, slot: new Date(slot).toISOString() });
      return { slot, mine };
    } catch (err) {
      this.d.logger.warn('cron slot not claimed; it does not run here', { project, cron: name, error: String(err) });
      return { slot, mine: false };
    }
  }

  /** In a cluster, where a project's slots fall (the same on every daemon); undefined on its own. */
  private placement(project: string): ClusterPlacement | undefined {
    return this.d.shared.kind === 'postgres' ? { identity: this.d.shared.identity(project) } : undefined;
  }

  stopAll(): void {
    try {
      this.d.storage.write(() => {
        for (const key of [...this.skips.keys()]) {
          const { project, name } = fromCronKey(key);
          this.apply(project, name, tryFind(this.d.projects, project, 'cron', name), { type: 'stop' });
        }
      });
    } catch (err) {
      this.d.logger.warn('skipped cron ticks not recorded at stop', { error: String(err) });
    }
    this.stopped = true;
    this.timers.close();
    this.runs.stopAll();
  }

  private reloaded(root: string): void {
    for (const row of this.store.list(root)) {
      if (row.enabled !== 1) continue;
      const cron = tryFind(this.d.projects, root, 'cron', row.name);
      if (cron) this.apply(root, row.name, cron, { type: 'reload', armed: this.timers.armed(cronKey(root, row.name)) });
    }
  }

  // ---- outcomes

  /** The engine's terminal hook (inside the transaction that ends the pipeline). */
  pipelineEnded(record: PipelineRecord, status: 'done' | 'failed' | 'cancelled'): void {
    const owner = record.owner as Partial<CronOwner> | null;
    if (!owner || owner.kind !== 'cron' || typeof owner.cron !== 'string') return;
    const cron = tryFind(this.d.projects, record.project, 'cron', owner.cron);
    this.apply(record.project, owner.cron, cron, { type: 'pipelineEnded', pipeline: record.state.id, handle: record.state.handle, status, error: record.state.error ?? null });
  }

  private runEnded(project: string, cron: Cron, outcome: 'done' | 'failed', error: string | null): void {
    if (this.stopped) return;
    try {
      this.apply(project, cron.name, cron, { type: 'runEnded', outcome, error });
    } catch (err) {
      this.d.logger.warn('cron outcome not recorded', { cron: cron.name, error: String(err) });
    }
  }

  /** The timer of a cron's due slot fired. */
  private async due(project: string, name: string): Promise<void> {
    if (this.stopped) return;
    try {
      await this.claimAndStep(project, name, tryFind(this.d.projects, project, 'cron', name), 'due', this.d.now());
    } catch (err) {
      this.d.logger.error('cron tick failed', { project, cron: name, error: String(err) });
    }
  }

  // ---- the shell around the core

  /** A pipeline's id in its project, from its stored key. */
  private readonly pipelineName = (key: string): string => this.d.engine.store.handleOf(key);

  /** Whether the cron's previous run is under way, as this daemon sees it. */
  private live(project: string, s: CronSlotState): CronLive {
    const p = s.lastPipeline ? this.d.engine.store.get(s.lastPipeline) : undefined;
    return {
      runningHere: this.runs.runningHere(project, s.name),
      pipelineActive: p !== undefined && !TERMINAL.has(p.state.status),
      pipelineName: p?.state.handle,
    };
  }

  /**
   * One step of a cron's slot: load, decide (core/cron), write the state and
   * its events in one transaction (joining the caller's), and carry out the
   * effects after the outermost commit. `cron` is the definition (undefined
   * when the runbooks no longer define it).
   */
  private apply(
    project: string,
    name: string,
    cron: Cron | undefined,
    event: CronSlotEvent | ((state: CronSlotState) => CronSlotEvent),
    at?: number,
  ): { changed: boolean } {
    const key = cronKey(project, name);
    return this.d.storage.write(() => {
      const now = at ?? this.d.now();
      const state = toState(name, this.store.get(project, name), this.skips.get(key) ?? null, now);
      const t = step(state, cron ? settingsOf(project, cron, this.placement(project)) : null, typeof event === 'function' ? event(state) : event, now);
      const changed = t.state !== state;
      if (changed) this.store.save(toRow(project, t.state));
      for (const e of t.events) this.d.events.emit({ name: e.name, subject: name, project, data: e.data });
      this.d.storage.afterCommit(() => {
        if (t.state.skips) this.skips.set(key, t.state.skips);
        else this.skips.delete(key);
        for (const effect of t.effects) this.execute(project, name, cron, effect);
      });
      return { changed };
    });
  }

  private execute(project: string, name: string, cron: Cron | undefined, e: CronEffect): void {
    try {
      switch (e.type) {
        case 'arm':
          this.timers.arm(cronKey(project, name), e.at, () => void this.due(project, name));
          break;
        case 'disarm':
          this.timers.disarm(cronKey(project, name));
          break;
        case 'hook':
          if (cron) this.runs.hook(project, cron, e.hook, e.values);
          break;
        case 'run':
          if (!cron) break;
          if (e.catchUp) this.d.logger.info('cron missed its slot while the daemon was down: running once now', { project, cron: name });
          this.runs.start(project, cron, { scheduledAt: e.scheduledAt, manual: e.manual });
          break;
        case 'undefined':
          this.d.logger.warn('enabled cron is not defined in the runbooks; it waits', { project, cron: name });
          break;
      }
    } catch (err) {
      this.d.logger.error('cron effect failed', { project, cron: name, effect: e.type, error: String(err) });
    }
  }
}
