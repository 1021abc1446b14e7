/**
 * Workers: each started worker drains its queue through its handler
 * pipeline, at most `concurrency` pipelines at a time. There is no polling
 * loop: a worker looks for work when something may have changed —
 * an item added or released in its queue, one of its pipelines ended (a
 * slot freed), a `wake_on` event, `oj worker wake`, or its idle timer
 * (`idle_action = "wait:30s"`), which also re-pulls a source queue.
 *
 * Concurrency is counted from the database (items its pipelines hold), so
 * it holds across restarts. Started/stopped is persisted; started workers
 * resume when the daemon starts.
 */
import { OjError, type WorkerMethods } from '@oj/protocol';
import type { Logger } from 'winston';
import { setLongTimeout, type LongTimer } from '../adapters/long-timer.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import type { EventLog } from '../events/event-log.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { Project } from '../runbook/index.js';
import type { Pipeline, Queue, Worker } from '../runbook/model.js';
import type { Storage } from '../storage/storage.js';
import { WorkerStore } from '../storage/worker-store.js';
import type { WorkersTable } from '../storage/schema-queues.js';
import { logFileFor, runHooks, type ShellHost } from './child-env.js';
import { requireFind, tryFind } from './lookup.js';
import type { ItemChange, QueueService } from './queue-service.js';
import { wakePatterns } from './wake-patterns.js';

type WorkerInfo = WorkerMethods.WorkerInfo;

export interface WorkerManagerDeps {
  storage: Storage;
  events: EventLog;
  engine: PipelineEngine;
  projects: ProjectRegistry;
  queues: QueueService;
  logger: Logger;
  shell: ShellHost;
  now(): number;
}

interface Runner {
  project: string;
  name: string;
  kickPending: boolean;
  pullRequested: boolean;
  /** The last fill started a pull: do not start another until something else happens. */
  justPulled: boolean;
  idle: boolean;
  idleTimer: LongTimer | null;
  follows: (() => void)[];
  followKey: string;
  missingLogged: boolean;
}

/** After an unexpected error in the loop, look again this much later. */
const RETRY_AFTER_ERROR_MS = 5_000;

/** How many items in a row may fail to start before a fill gives up for now. */
const MAX_START_FAILURES_PER_FILL = 100;

export class WorkerManager {
  readonly store: WorkerStore;
  private readonly runners = new Map<string, Runner>();
  private stopped = false;

  constructor(private readonly d: WorkerManagerDeps) {
    this.store = new WorkerStore(d.storage.database);
    d.queues.onChange((c) => this.itemChanged(c));
    d.projects.onReload((root) => this.reloaded(root));
  }

  // ---- commands

  start(project: string, name: string): { worker: WorkerInfo; changed: boolean } {
    const { value: w } = requireFind(this.d.projects, project, 'worker', name);
    const changed = this.d.storage.write(() => {
      const row = this.store.get(project, w.name);
      if (row?.status === 'started') return false;
      this.store.save({ project, name: w.name, status: 'started', changed_at: this.d.now(), idle_since: null, last_wake_at: row?.last_wake_at ?? null });
      this.d.events.emit({
        name: 'worker:started',
        subject: w.name,
        project,
        data: { worker: w.name, queue: w.queue.ref, concurrency: w.concurrency },
      });
      return true;
    });
    const r = this.attach(project, w.name);
    if (changed) {
      r.idle = false;
      this.hook(project, w, 'on_start', {});
    }
    this.kick(r, true);
    return { worker: this.info(project, w.name), changed };
  }

  stop(project: string, name: string, reason = 'stopped by user'): { worker: WorkerInfo; changed: boolean } {
    const w = tryFind(this.d.projects, project, 'worker', name);
    const row = this.store.get(project, w?.name ?? name);
    if (!w && !row) requireFind(this.d.projects, project, 'worker', name);
    const workerName = w?.name ?? name;
    const changed = this.d.storage.write(() => {
      const current = this.store.get(project, workerName);
      if (!current || current.status !== 'started') return false;
      this.store.save({ ...current, status: 'stopped', changed_at: this.d.now(), idle_since: null });
      this.d.events.emit({
        name: 'worker:stopped',
        subject: workerName,
        project,
        data: { worker: workerName, reason, running: this.d.queues.items.countTakenByWorker(project, workerName) },
      });
      return true;
    });
    this.detach(project, workerName);
    if (changed && w) this.hook(project, w, 'on_stop', { reason });
    return { worker: this.info(project, workerName), changed };
  }

  restart(project: string, name: string): WorkerInfo {
    this.stop(project, name, 'restarting');
    return this.start(project, name).worker;
  }

  /**
   * Wakes a started worker; a stopped one is started instead (starting takes work and
   * re-pulls a source queue just like a wake), so `oj queue add ...; oj worker wake W`
   * works whatever state W was left in. `started` says which happened.
   */
  wake(project: string, name: string): { worker: WorkerInfo; started: boolean } {
    const { value: w } = requireFind(this.d.projects, project, 'worker', name);
    const row = this.store.get(project, w.name);
    if (row?.status !== 'started') {
      const r = this.start(project, w.name);
      if (r.changed) return { worker: r.worker, started: true };
    }
    this.d.storage.write(() => {
      const current = this.store.get(project, w.name);
      if (current) this.store.save({ ...current, last_wake_at: this.d.now() });
      this.d.events.emit({ name: 'worker:woken', subject: w.name, project, data: { worker: w.name, by: 'oj worker wake' } });
    });
    const r = this.attach(project, w.name);
    this.hook(project, w, 'on_wake', {});
    this.kick(r, true);
    return { worker: this.info(project, w.name), started: false };
  }

  healthy(project: string, name: string): { healthy: boolean; problems: string[]; worker: WorkerInfo } {
    const info = this.info(project, name);
    const problems: string[] = [];
    if (info.status === 'missing') problems.push(`worker ${name} is started but no longer defined in the runbooks`);
    else if (info.status !== 'started') problems.push(`worker ${name} is stopped`);
    const errors = this.d.projects.errors(project);
    if (errors.length) problems.push(`runbook problems (oj status lists them): ${errors[0]}`);
    const w = tryFind(this.d.projects, project, 'worker', name);
    if (w) {
      const project_ = this.d.projects.peek(project);
      const q = project_?.deref('queue', w.queue);
      if (q?.source) {
        const s = this.d.queues.items.source(project, q.name);
        if (s.last_error) problems.push(`its queue's source fails: ${s.last_error}`);
      }
    }
    for (const id of info.pipelines) {
      const p = this.d.engine.store.get(id);
      if (p?.state.status === 'escalated') problems.push(`pipeline ${id} is escalated: ${p.state.error ?? 'needs a human'}`);
    }
    return { healthy: problems.length === 0, problems, worker: info };
  }

  // ---- reading

  info(project: string, name: string): WorkerInfo {
    const w = tryFind(this.d.projects, project, 'worker', name);
    const row = this.store.get(project, w?.name ?? name);
    if (!w && !row) requireFind(this.d.projects, project, 'worker', name);
    return this.toInfo(project, w?.name ?? name, w, row);
  }

  list(project: string): WorkerInfo[] {
    const p = this.d.projects.get(project);
    const defined = p.all('worker');
    const rows = new Map(this.store.list(project).map((r) => [r.name, r]));
    const out = defined.map((w) => this.toInfo(project, w.name, w, rows.get(w.name)));
    for (const [name, row] of rows) if (!defined.some((w) => w.name === name) && row.status === 'started') out.push(this.toInfo(project, name, undefined, row));
    return out;
  }

  private toInfo(project: string, name: string, w: Worker | undefined, row: WorkersTable | undefined): WorkerInfo {
    const p = this.d.projects.peek(project);
    const q = w && p ? p.deref('queue', w.queue) : undefined;
    const held = this.d.queues.items.takenByWorker(project, name);
    const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
    const started = row?.status === 'started';
    return {
      name,
      runbook: w?.file ?? null,
      queue: q?.name ?? null,
      handler: w ? w.handler.ref : null,
      concurrency: w?.concurrency ?? 0,
      status: !w && started ? 'missing' : started ? 'started' : 'stopped',
      running: this.d.queues.items.inFlight(project, name),
      pending: q ? this.d.queues.items.pendingCount(project, q.name) : 0,
      idleAction: w ? (w.idle_action.type === 'wait' ? `wait:${w.idle_action.duration.text}` : 'stop') : null,
      wakeOn: w?.wake_on ?? [],
      changedAt: iso(row?.changed_at),
      idleSince: iso(row?.idle_since),
      lastWakeAt: iso(row?.last_wake_at),
      pipelines: held.map((h) => h.taken_by).filter((x): x is string => x !== null).map((key) => this.d.engine.store.handleOf(key)),
    };
  }

  counts(): Record<string, number> {
    return { 'workers.started': this.store.started().length };
  }

  // ---- lifecycle

  /** Daemon start: every started worker resumes. */
  startAll(): void {
    for (const row of this.store.started()) {
      try {
        const r = this.attach(row.project, row.name);
        this.kick(r, true);
      } catch (err) {
        this.d.logger.warn('worker not resumed', { project: row.project, worker: row.name, error: String(err) });
      }
    }
  }

  stopAll(): void {
    this.stopped = true;
    for (const r of this.runners.values()) this.release(r);
    this.runners.clear();
  }

  // ---- the loop

  private key(project: string, name: string): string {
    return `${project}\0${name}`;
  }

  private attach(project: string, name: string): Runner {
    const key = this.key(project, name);
    let r = this.runners.get(key);
    if (!r) {
      r = {
        project,
        name,
        kickPending: false,
        pullRequested: false,
        justPulled: false,
        idle: false,
        idleTimer: null,
        follows: [],
        followKey: '',
        missingLogged: false,
      };
      this.runners.set(key, r);
    }
    this.follow(r);
    return r;
  }

  private detach(project: string, name: string): void {
    const key = this.key(project, name);
    const r = this.runners.get(key);
    if (!r) return;
    this.release(r);
    this.runners.delete(key);
  }

  private release(r: Runner): void {
    r.idleTimer?.cancel();
    r.idleTimer = null;
    for (const off of r.follows) off();
    r.follows = [];
    r.followKey = '';
  }

  /** (Re)subscribes the worker's wake_on patterns. */
  private follow(r: Runner): void {
    const w = tryFind(this.d.projects, r.project, 'worker', r.name);
    const q = w ? this.d.projects.peek(r.project)?.deref('queue', w.queue) : undefined;
    const patterns = w ? wakePatterns(w.wake_on, { worker: w.name, queue: q?.name ?? '' }) : [];
    const key = patterns.join('\n');
    if (key === r.followKey) return;
    for (const off of r.follows) off();
    r.followKey = key;
    r.follows = patterns.map((name) =>
      this.d.events.follow({
        name,
        deliver: (e) => {
          if (e.project !== null && e.project !== r.project) return;
          this.d.logger.debug('worker woken by event', { worker: r.name, event: e.name });
          this.kick(r, true);
        },
      }),
    );
  }

  private kick(r: Runner, pull: boolean): void {
    if (this.stopped) return;
    if (pull) r.pullRequested = true;
    if (r.kickPending) return;
    r.kickPending = true;
    setImmediate(() => {
      r.kickPending = false;
      try {
        this.fill(r);
      } catch (err) {
        this.d.logger.error('worker loop failed; trying again shortly', { project: r.project, worker: r.name, error: String(err) });
        if (!r.idleTimer) {
          r.idleTimer = setLongTimeout(
            () => {
              r.idleTimer = null;
              this.kick(r, false);
            },
            RETRY_AFTER_ERROR_MS,
            { unref: true },
          );
        }
      }
    });
  }

  private definitions(r: Runner): { project: Project; worker: Worker; queue: Queue; handler: Pipeline } | null {
    const project = this.d.projects.peek(r.project);
    const worker = tryFind(this.d.projects, r.project, 'worker', r.name);
    if (!project || !worker) return null;
    return { project, worker, queue: project.deref('queue', worker.queue), handler: project.deref('pipeline', worker.handler) };
  }

  private fill(r: Runner): void {
    if (this.stopped || this.runners.get(this.key(r.project, r.name)) !== r) return;
    const row = this.store.get(r.project, r.name);
    if (row?.status !== 'started') {
      this.detach(r.project, r.name);
      return;
    }
    const defs = this.definitions(r);
    if (!defs) {
      if (!r.missingLogged) this.d.logger.warn('started worker is not defined in the runbooks; it waits', { project: r.project, worker: r.name });
      r.missingLogged = true;
      return;
    }
    r.missingLogged = false;
    const { worker, queue, handler } = defs;
    const items = this.d.queues.items;
    const pull = r.pullRequested;
    r.pullRequested = false;
    let free = worker.concurrency - items.inFlight(r.project, worker.name);
    let pending = items.pendingCount(r.project, queue.name);
    const pullingNow = queue.source !== null && this.d.queues.pulling(r.project, queue.name);
    if (pullingNow) {
      // A pull is under way; a wake that came meanwhile pulls once more after it.
      if (pull) r.pullRequested = true;
    } else if (queue.source && free > 0 && (pull || (pending === 0 && !r.justPulled))) {
      r.justPulled = true;
      this.d.queues.pull(r.project, queue.name).then(
        () => this.kick(r, false),
        (err: unknown) => {
          this.d.logger.warn('queue pull failed', { queue: queue.name, error: String(err) });
          this.kick(r, false);
        },
      );
    } else {
      r.justPulled = false;
    }
    let took = 0;
    let failedStarts = 0;
    while (free > 0 && pending > 0) {
      const res = this.d.queues.takeForWorker(r.project, worker, queue, handler);
      if (!res) break;
      if (res.pipeline === null) {
        if (++failedStarts >= MAX_START_FAILURES_PER_FILL) {
          this.kick(r, false);
          break;
        }
        continue;
      }
      took++;
      free--;
      this.hook(r.project, worker, 'on_take', {
        item: JSON.parse(res.item.data) as unknown,
        item_id: res.item.id,
        pipeline: res.pipeline,
      });
      pending = items.pendingCount(r.project, queue.name);
    }
    pending = items.pendingCount(r.project, queue.name);
    if (took > 0 && r.idle) {
      r.idle = false;
      this.d.storage.write(() => {
        const current = this.store.get(r.project, r.name);
        if (current) this.store.save({ ...current, idle_since: null });
      });
    }
    if (pending > 0) {
      // Work is waiting for a slot: the end of a pipeline wakes the worker.
      return;
    }
    const running = items.inFlight(r.project, worker.name);
    const pulling = queue.source !== null && this.d.queues.pulling(r.project, queue.name);
    if (running === 0 && !pulling && !r.idle) {
      r.idle = true;
      this.d.storage.write(() => {
        const current = this.store.get(r.project, r.name);
        if (current) this.store.save({ ...current, idle_since: this.d.now() });
        this.d.events.emit({ name: 'worker:idle', subject: worker.name, project: r.project, data: { worker: worker.name, queue: queue.name } });
      });
      this.hook(r.project, worker, 'on_idle', {});
      if (worker.idle_action.type === 'stop') {
        this.stop(r.project, worker.name, 'idle (idle_action = "stop")');
        return;
      }
    }
    if (worker.idle_action.type === 'wait' && !r.idleTimer) {
      r.idleTimer = setLongTimeout(
        () => {
          r.idleTimer = null;
          this.kick(r, true);
        },
        worker.idle_action.duration.ms,
        { unref: true },
      );
    }
  }

  private itemChanged(c: ItemChange): void {
    for (const r of this.runners.values()) {
      if (r.project !== c.project) continue;
      if (c.worker === r.name) {
        this.kick(r, false);
        continue;
      }
      if (c.reason === 'finished') continue;
      const w = tryFind(this.d.projects, r.project, 'worker', r.name);
      const q = w ? this.d.projects.peek(r.project)?.deref('queue', w.queue) : undefined;
      if (q?.name === c.queue) this.kick(r, false);
    }
  }

  private reloaded(root: string): void {
    for (const r of this.runners.values()) {
      if (r.project !== root) continue;
      this.follow(r);
      this.kick(r, false);
    }
  }

  private hook(project: string, w: Worker, hook: string, extra: Record<string, unknown>): void {
    const p = this.d.projects.peek(project);
    const commands = p?.hooks(w, hook) ?? [];
    if (!commands.length) return;
    const q = p?.deref('queue', w.queue);
    runHooks(this.d.shell, {
      project,
      hook,
      commands,
      values: { worker: w.name, name: w.name, queue: q?.name ?? '', project_root: project, ...extra },
      logFile: logFileFor(this.d.shell, project, 'workers', w.name),
      subject: `worker ${w.name}`,
    });
  }
}
