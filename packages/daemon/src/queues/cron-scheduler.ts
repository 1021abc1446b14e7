/**
 * Crons: every `interval`, emit `cron:tick`, call the tick hooks (monitors)
 * and run the cron's `run` (a pipeline or a shell command). Enabled state and
 * the next due time are persisted. Due times stay on the grid the cron was
 * enabled on (see cron-schedule.ts); a tick whose previous run is still
 * under way is skipped, never queued up: a run of skipped ticks is one
 * `cron:skipped` event with their count (see cron-skips.ts).
 */
import { OjError, type CronMethods, type JsonValue } from '@oj/protocol';
import type { Logger } from 'winston';
import { setLongTimeout, type LongTimer } from '../adapters/long-timer.js';
import { runShell } from '../adapters/shell-runner.js';
import { definitionFromModel } from '../engine/definition-from-model.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import { TERMINAL } from '../engine/pipeline-state.js';
import type { EventLog } from '../events/event-log.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import { createContext, interpolateShell } from '../runbook/index.js';
import type { Cron } from '../runbook/model.js';
import type { PipelineRecord } from '../storage/pipeline-store.js';
import type { CronsTable } from '../storage/schema-queues.js';
import type { Storage } from '../storage/storage.js';
import { CronStore } from '../storage/worker-store.js';
import { appendLog, childEnv, logFileFor, runHooks, type ShellHost } from './child-env.js';
import { nextSlotAfter, planAtStart } from './cron-schedule.js';
import { SkipTally } from './cron-skips.js';
import type { CronTickHook } from './cron-tick-hooks.js';
import { requireFind, tryFind } from './lookup.js';

type CronInfo = CronMethods.CronInfo;

export interface CronSchedulerDeps {
  storage: Storage;
  events: EventLog;
  engine: PipelineEngine;
  projects: ProjectRegistry;
  logger: Logger;
  shell: ShellHost;
  tickHooks(): readonly CronTickHook[];
  now(): number;
}

const MAX_TIMER_MS = 60 * 60 * 1000;

export interface CronOwner {
  kind: 'cron';
  cron: string;
}

export class CronScheduler {
  readonly store: CronStore;
  private readonly timers = new Map<string, LongTimer>();
  /** Runs under way that are not pipelines (shell commands, monitor hooks). */
  private readonly running = new Set<string>();
  /** Shell runs under way, ended when the daemon stops. */
  private readonly shells = new Map<string, { stop(reason: string): void }>();
  /** Ticks skipped in a row per cron, reported as one event when the run of skips ends. */
  private readonly skips = new SkipTally();
  private stopped = false;

  constructor(private readonly d: CronSchedulerDeps) {
    this.store = new CronStore(d.storage.database);
    d.projects.onReload((root) => this.reloaded(root));
  }

  private key(project: string, name: string): string {
    return `${project}\0${name}`;
  }

  // ---- commands

  enable(project: string, name: string): { cron: CronInfo; changed: boolean } {
    const { value: cron } = requireFind(this.d.projects, project, 'cron', name);
    const now = this.d.now();
    const row = this.d.storage.write(() => {
      const current = this.store.get(project, cron.name);
      if (current?.enabled === 1) return null;
      const next: CronsTable = {
        ...(current ?? blankRow(project, cron.name, now)),
        enabled: 1,
        interval_ms: cron.interval.ms,
        next_due_at: now + cron.interval.ms,
        changed_at: now,
      };
      this.store.save(next);
      this.d.events.emit({
        name: 'cron:enabled',
        subject: cron.name,
        project,
        data: { cron: cron.name, interval: cron.interval.text, nextDueAt: new Date(next.next_due_at!).toISOString() },
      });
      return next;
    });
    if (row) {
      this.schedule(project, cron.name, row.next_due_at!);
      this.hook(project, cron, 'on_enable', {});
    } else {
      const current = this.store.get(project, cron.name);
      if (current?.next_due_at && !this.timers.has(this.key(project, cron.name))) this.schedule(project, cron.name, current.next_due_at);
    }
    return { cron: this.info(project, cron.name), changed: row !== null };
  }

  disable(project: string, name: string): { cron: CronInfo; changed: boolean } {
    const cron = tryFind(this.d.projects, project, 'cron', name);
    const cronName = cron?.name ?? name;
    if (!cron && !this.store.get(project, name)) requireFind(this.d.projects, project, 'cron', name);
    const changed = this.d.storage.write(() => {
      const current = this.store.get(project, cronName);
      if (!current || current.enabled !== 1) return false;
      this.store.save({ ...current, enabled: 0, next_due_at: null, changed_at: this.d.now() });
      this.reportSkips(project, cronName);
      this.d.events.emit({ name: 'cron:disabled', subject: cronName, project, data: { cron: cronName } });
      return true;
    });
    this.unschedule(project, cronName);
    if (changed && cron) this.hook(project, cron, 'on_disable', {});
    return { cron: this.info(project, cronName), changed };
  }

  /** `oj cron run`: once now, enabled or not; the schedule is unchanged. */
  runNow(project: string, name: string): { cron: CronInfo; pipeline: string | null } {
    const { value: cron } = requireFind(this.d.projects, project, 'cron', name);
    const running = this.busy(project, cron.name);
    const busy = typeof running === 'string' ? this.pipelineName(running) : running;
    if (busy) {
      throw OjError.illegalState(`cron ${cron.name} is still running${busy === true ? '' : ` (pipeline ${busy})`}`, {
        hint: busy === true ? 'wait for the run to finish' : `oj pipeline show ${busy}`,
      });
    }
    const pipeline = this.runOnce(project, cron, null, true);
    return { cron: this.info(project, cron.name), pipeline: pipeline === null ? null : this.pipelineName(pipeline) };
  }

  // ---- reading

  info(project: string, name: string): CronInfo {
    const cron = tryFind(this.d.projects, project, 'cron', name);
    const row = this.store.get(project, cron?.name ?? name);
    if (!cron && !row) requireFind(this.d.projects, project, 'cron', name);
    return toInfo(cron?.name ?? name, cron, row, this.pipelineName);
  }

  list(project: string): CronInfo[] {
    const p = this.d.projects.get(project);
    const rows = new Map(this.store.list(project).map((r) => [r.name, r]));
    const defined = p.all('cron');
    const out = defined.map((c) => toInfo(c.name, c, rows.get(c.name), this.pipelineName));
    for (const [name, row] of rows) if (!defined.some((c) => c.name === name) && row.enabled === 1) out.push(toInfo(name, undefined, row, this.pipelineName));
    return out;
  }

  counts(): Record<string, number> {
    return { 'crons.enabled': this.store.enabled().length };
  }

  // ---- lifecycle

  /** Daemon start: enabled crons resume; one that missed slots while the daemon was down runs once now. */
  startAll(): void {
    const now = this.d.now();
    for (const row of this.store.list()) {
      // A shell run or monitor pass the previous daemon was doing is gone with it.
      // It ends as failed, with its cron:failed event like any failed run.
      if (row.last_outcome === 'running' && !row.last_pipeline) {
        this.d.storage.write(() => this.finishInTx(row.project, row.name, 'failed', 'the daemon stopped during this run', null));
      }
      if (row.enabled !== 1) continue;
      const cron = tryFind(this.d.projects, row.project, 'cron', row.name);
      if (!cron) {
        this.d.logger.warn('enabled cron is not defined in the runbooks; it waits', { project: row.project, cron: row.name });
        continue;
      }
      const interval = cron.interval.ms;
      const plan = planAtStart(row.next_due_at, interval, now);
      this.d.storage.write(() => {
        const current = this.store.get(row.project, row.name);
        if (current) this.store.save({ ...current, next_due_at: plan.next, interval_ms: interval });
      });
      if (plan.catchUp) {
        this.d.logger.info('cron missed its slot while the daemon was down: running once now', { project: row.project, cron: row.name });
        if (!this.busy(row.project, row.name)) this.runOnce(row.project, cron, row.next_due_at, false);
      }
      this.schedule(row.project, row.name, plan.next);
    }
  }

  stopAll(): void {
    try {
      this.d.storage.write(() => {
        for (const key of this.skips.keys()) {
          const [project, name] = key.split('\0') as [string, string];
          this.reportSkips(project, name);
        }
      });
    } catch (err) {
      this.d.logger.warn('skipped cron ticks not recorded at stop', { error: String(err) });
    }
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    for (const sh of this.shells.values()) sh.stop('daemon stopping');
    this.shells.clear();
  }

  private reloaded(root: string): void {
    const now = this.d.now();
    for (const row of this.store.list(root)) {
      if (row.enabled !== 1) continue;
      const cron = tryFind(this.d.projects, root, 'cron', row.name);
      if (!cron) continue;
      if (cron.interval.ms !== row.interval_ms || !this.timers.has(this.key(root, row.name))) {
        const next = Math.min(row.next_due_at ?? now + cron.interval.ms, now + cron.interval.ms);
        this.d.storage.write(() => this.store.save({ ...row, interval_ms: cron.interval.ms, next_due_at: next }));
        this.schedule(root, row.name, next);
      }
    }
  }

  // ---- timers

  private schedule(project: string, name: string, at: number): void {
    if (this.stopped) return;
    this.unschedule(project, name);
    const delay = Math.min(Math.max(0, at - this.d.now()), MAX_TIMER_MS);
    const t = setLongTimeout(
      () => {
        this.timers.delete(this.key(project, name));
        if (this.d.now() < at) this.schedule(project, name, at);
        else this.tick(project, name);
      },
      delay,
      { unref: true },
    );
    this.timers.set(this.key(project, name), t);
  }

  private unschedule(project: string, name: string): void {
    const key = this.key(project, name);
    const t = this.timers.get(key);
    t?.cancel();
    this.timers.delete(key);
  }

  private tick(project: string, name: string): void {
    if (this.stopped) return;
    try {
      const row = this.store.get(project, name);
      if (!row || row.enabled !== 1) return;
      const cron = tryFind(this.d.projects, project, 'cron', name);
      const now = this.d.now();
      if (!cron) {
        this.d.logger.warn('enabled cron is not defined in the runbooks; it waits', { project, cron: name });
        return;
      }
      const scheduled = row.next_due_at ?? now;
      const next = nextSlotAfter(scheduled, cron.interval.ms, now);
      const busy = this.busy(project, name);
      if (busy) {
        // Counted, not one event each: a 1s cron behind a run of an hour would write 3,600.
        this.skips.record(this.key(project, name), scheduled, typeof busy === 'string' ? this.pipelineName(busy) : null);
        this.d.storage.write(() => {
          const current = this.store.get(project, name);
          if (current && current.enabled === 1) this.store.save({ ...current, next_due_at: next, interval_ms: cron.interval.ms });
        });
      } else {
        // The next due time is stored in the run's own transaction: one commit (one fsync) per tick, not two.
        this.runOnce(project, cron, scheduled, false, next);
      }
      this.schedule(project, name, next);
    } catch (err) {
      this.d.logger.error('cron tick failed', { project, cron: name, error: String(err) });
    }
  }

  /** Emits the run of skipped ticks of a cron, if any, as one `cron:skipped` event (in the caller's write). */
  private reportSkips(project: string, name: string): void {
    const run = this.skips.take(this.key(project, name));
    if (!run) return;
    this.d.events.emit({
      name: 'cron:skipped',
      subject: name,
      project,
      data: {
        cron: name,
        reason: 'the previous run was still under way',
        count: run.count,
        firstAt: new Date(run.firstAt).toISOString(),
        lastAt: new Date(run.lastAt).toISOString(),
        ...(run.pipeline ? { pipeline: run.pipeline } : {}),
      },
    });
  }

  private readonly pipelineName = (key: string): string => this.d.engine.store.handleOf(key);

  /** True (shell/monitor run), a pipeline id, or false. */
  private busy(project: string, name: string): true | string | false {
    if (this.running.has(this.key(project, name))) return true;
    const row = this.store.get(project, name);
    if (row?.last_outcome === 'running' && row.last_pipeline) {
      const p = this.d.engine.store.get(row.last_pipeline);
      if (p && !TERMINAL.has(p.state.status)) return row.last_pipeline;
    }
    return false;
  }

  // ---- running

  /** Starts one run; returns the pipeline it created, if any. */
  private runOnce(project: string, cron: Cron, scheduledAt: number | null, manual: boolean, nextDueAt?: number): string | null {
    const now = this.d.now();
    const key = this.key(project, cron.name);
    this.d.storage.write(() => {
      const current = this.store.get(project, cron.name) ?? blankRow(project, cron.name, now);
      this.store.save({
        ...current,
        interval_ms: current.interval_ms || cron.interval.ms,
        last_run_at: now,
        last_outcome: 'running',
        last_error: null,
        last_pipeline: null,
        runs: current.runs + 1,
        ...(nextDueAt !== undefined ? { next_due_at: nextDueAt, interval_ms: cron.interval.ms } : {}),
      });
      this.reportSkips(project, cron.name);
      this.d.events.emit({
        name: 'cron:tick',
        subject: cron.name,
        project,
        data: {
          cron: cron.name,
          manual,
          scheduledAt: scheduledAt === null ? null : new Date(scheduledAt).toISOString(),
          monitors: cron.monitors.map((m) => m.ref),
        },
      });
    });
    this.hook(project, cron, 'on_tick', {});
    const hooks = this.d.tickHooks();
    if (cron.monitors.length && hooks.length === 0) {
      this.d.logger.debug('cron has monitors but this daemon does not run monitors yet', { cron: cron.name });
    }
    const tick = { project, cron, scheduledAt, manual };
    const monitorRuns = hooks.map((h) => {
      try {
        return Promise.resolve(h(tick));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    const monitorsDone = Promise.allSettled(monitorRuns).then((results) => {
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) this.d.logger.warn('cron tick hook failed', { cron: cron.name, error: String(failed.reason) });
      return failed ? String(failed.reason instanceof Error ? failed.reason.message : failed.reason) : null;
    });

    const run = cron.run;
    if (run?.type === 'pipeline') {
      try {
        const p = this.d.projects.get(project);
        const pipeline = p.deref('pipeline', run.pipeline);
        const owner: CronOwner = { kind: 'cron', cron: cron.name };
        const record = this.d.storage.write(() => {
          const r = this.d.engine.create({
            project,
            definition: definitionFromModel(pipeline),
            inputs: {},
            owner: owner as unknown as Record<string, JsonValue>,
          });
          const current = this.store.get(project, cron.name);
          if (current) this.store.save({ ...current, last_pipeline: r.state.id });
          // A pipeline that ended while being created: settle the run now.
          if (TERMINAL.has(r.state.status)) this.pipelineEnded(r, r.state.status as 'done' | 'failed' | 'cancelled');
          return r;
        });
        return record.state.id;
      } catch (err) {
        this.finish(project, cron, 'failed', `cannot start pipeline: ${(err as Error).message}`, null);
        return null;
      }
    }
    this.running.add(key);
    if (run?.type === 'shell') {
      const logFile = logFileFor(this.d.shell, project, 'crons', cron.name);
      let script: string;
      try {
        script = interpolateShell(run.shell, createContext({ name: 'runtime', values: { project_root: project, cron: cron.name, name: cron.name } }));
      } catch (err) {
        this.running.delete(key);
        this.finish(project, cron, 'failed', `cannot build the command: ${(err as Error).message}`, null);
        return null;
      }
      appendLog(logFile, `[run] ${script}`);
      const sh = runShell({ script, cwd: project, env: childEnv(this.d.shell, project, { OJ_CRON: cron.name }), logFile });
      this.shells.set(key, sh);
      void Promise.all([sh.done, monitorsDone]).then(
        ([o, monitorError]) => {
          this.running.delete(key);
          this.shells.delete(key);
          if (o.exitCode === 0) this.finish(project, cron, monitorError ? 'failed' : 'done', monitorError, null);
          else this.finish(project, cron, 'failed', o.signal ? `killed by ${o.signal}` : `exit code ${o.exitCode}`, null);
        },
        (err: unknown) => {
          this.running.delete(key);
          this.shells.delete(key);
          this.finish(project, cron, 'failed', String(err), null);
        },
      );
      return null;
    }
    void monitorsDone.then((monitorError) => {
      this.running.delete(key);
      this.finish(project, cron, monitorError ? 'failed' : 'done', monitorError, null);
    });
    return null;
  }

  /** The engine's terminal hook (inside the transaction that ends the pipeline). */
  pipelineEnded(record: PipelineRecord, status: 'done' | 'failed' | 'cancelled'): void {
    const owner = record.owner as Partial<CronOwner> | null;
    if (!owner || owner.kind !== 'cron' || typeof owner.cron !== 'string') return;
    const row = this.store.get(record.project, owner.cron);
    if (!row || row.last_pipeline !== record.state.id) return;
    const cron = tryFind(this.d.projects, record.project, 'cron', owner.cron);
    const error = status === 'done' ? null : `pipeline ${record.state.handle} ${status}${record.state.error ? `: ${record.state.error}` : ''}`;
    this.finishInTx(record.project, owner.cron, status === 'done' ? 'done' : 'failed', error, record.state.id);
    if (cron) this.d.storage.afterCommit(() => this.hook(record.project, cron, status === 'done' ? 'on_complete' : 'on_fail', { error: error ?? '', pipeline: record.state.handle }));
  }

  private finish(project: string, cron: Cron, outcome: 'done' | 'failed', error: string | null, pipeline: string | null): void {
    if (this.stopped) return;
    try {
      this.d.storage.write(() => this.finishInTx(project, cron.name, outcome, error, pipeline));
      this.hook(project, cron, outcome === 'done' ? 'on_complete' : 'on_fail', { error: error ?? '', pipeline: pipeline ?? '' });
    } catch (err) {
      this.d.logger.warn('cron outcome not recorded', { cron: cron.name, error: String(err) });
    }
  }

  private finishInTx(project: string, name: string, outcome: 'done' | 'failed', error: string | null, pipeline: string | null): void {
    const current = this.store.get(project, name);
    if (current) this.store.save({ ...current, last_outcome: outcome, last_error: error });
    this.d.events.emit({
      name: outcome === 'done' ? 'cron:complete' : 'cron:failed',
      subject: name,
      project,
      data: { cron: name, ...(pipeline ? { pipeline } : {}), ...(error ? { error } : {}) },
    });
  }

  private hook(project: string, cron: Cron, hook: string, extra: Record<string, unknown>): void {
    const p = this.d.projects.peek(project);
    const commands = p?.hooks(cron, hook) ?? [];
    if (!commands.length) return;
    runHooks(this.d.shell, {
      project,
      hook,
      commands,
      values: { cron: cron.name, name: cron.name, project_root: project, ...extra },
      logFile: logFileFor(this.d.shell, project, 'crons', cron.name),
      subject: `cron ${cron.name}`,
    });
  }
}

function blankRow(project: string, name: string, now: number): CronsTable {
  return {
    project,
    name,
    enabled: 0,
    interval_ms: 0,
    next_due_at: null,
    last_run_at: null,
    last_outcome: null,
    last_error: null,
    last_pipeline: null,
    runs: 0,
    changed_at: now,
  };
}

/** `pipelineName`: a pipeline's id in its project, from its stored key. */
function toInfo(name: string, cron: Cron | undefined, row: CronsTable | undefined, pipelineName: (key: string) => string): CronInfo {
  const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
  const run = cron?.run ? (cron.run.type === 'pipeline' ? `pipeline ${cron.run.pipeline.ref}` : cron.run.shell) : null;
  return {
    name,
    runbook: cron?.file ?? null,
    interval: cron?.interval.text ?? null,
    enabled: row?.enabled === 1,
    defined: cron !== undefined,
    monitors: cron?.monitors.map((m) => m.ref) ?? [],
    run,
    nextDueAt: row?.enabled === 1 ? iso(row.next_due_at) : null,
    lastRunAt: iso(row?.last_run_at),
    lastOutcome: (row?.last_outcome as CronInfo['lastOutcome']) ?? null,
    lastError: row?.last_error ?? null,
    lastPipeline: row?.last_pipeline ? pipelineName(row.last_pipeline) : null,
    runs: row?.runs ?? 0,
  };
}
