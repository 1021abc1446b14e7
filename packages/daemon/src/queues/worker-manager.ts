/**
 * Workers: each started worker drains its queue through its handler
 * pipeline, at most `concurrency` pipelines at a time (worker-loop.ts).
 * Started/stopped is persisted (core/queue/worker.ts decides, worker-state.ts
 * writes); started workers resume when the daemon starts.
 */
import type { WorkerMethods } from '@oj/protocol';
import type { Logger } from 'winston';
import type { WorkerEvent } from '../core/queue/worker.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import type { EventLog } from '../events/event-log.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { Worker } from '../runbook/model.js';
import type { Storage } from '../storage/storage.js';
import { WorkerStore } from '../storage/worker-store.js';
import type { ShellHost } from '../adapters/shell-host.js';
import { requireFind, tryFind } from '../projects/find-primitive.js';
import type { QueueService } from './queue-service.js';
import { runWorkerHook } from './worker-hooks.js';
import { toWorkerInfo, workerProblems } from './worker-info.js';
import { WorkerLoop } from './worker-loop.js';
import { applyWorker } from './worker-state.js';

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

export class WorkerManager {
  readonly store: WorkerStore;
  private readonly loop: WorkerLoop;

  constructor(private readonly d: WorkerManagerDeps) {
    this.store = new WorkerStore(d.storage.database);
    this.loop = new WorkerLoop({
      ...d,
      store: this.store,
      busy: (project, w) => this.apply(project, w.name, w, { type: 'busy' }),
      idle: (project, w) => this.apply(project, w.name, w, { type: 'idle' }),
      stop: (project, name, reason) => {
        this.stop(project, name, reason).catch((err: unknown) => d.logger.warn('idle worker not stopped', { worker: name, error: String(err) }));
      },
      hook: (project, w, hook, extra) => runWorkerHook(d, project, w, hook, extra),
    });
  }

  private apply(project: string, name: string, w: Worker | undefined, event: WorkerEvent): boolean {
    return applyWorker({ ...this.d, store: this.store }, project, name, w, event).changed;
  }

  // ---- commands

  async start(project: string, name: string): Promise<{ worker: WorkerInfo; changed: boolean }> {
    const { value: w } = requireFind(this.d.projects, project, 'worker', name);
    const changed = this.apply(project, w.name, w, { type: 'start' });
    this.loop.run(project, w.name, { pull: true, fresh: changed });
    return { worker: await this.info(project, w.name), changed };
  }

  async stop(project: string, name: string, reason = 'stopped by user'): Promise<{ worker: WorkerInfo; changed: boolean }> {
    const w = tryFind(this.d.projects, project, 'worker', name);
    const row = this.store.get(project, w?.name ?? name);
    if (!w && !row) requireFind(this.d.projects, project, 'worker', name);
    const workerName = w?.name ?? name;
    const running = (await this.d.queues.items.takenByWorker(project, workerName)).length;
    const changed = this.apply(project, workerName, w, { type: 'stop', reason, running });
    this.loop.detach(project, workerName);
    return { worker: await this.info(project, workerName), changed };
  }

  async restart(project: string, name: string): Promise<WorkerInfo> {
    await this.stop(project, name, 'restarting');
    return (await this.start(project, name)).worker;
  }

  /**
   * Wakes a started worker; a stopped one is started instead (starting takes work and
   * re-pulls a source queue just like a wake), so `oj queue add ...; oj worker wake W`
   * works whatever state W was left in. `started` says which happened.
   */
  async wake(project: string, name: string): Promise<{ worker: WorkerInfo; started: boolean }> {
    const { value: w } = requireFind(this.d.projects, project, 'worker', name);
    if (this.store.get(project, w.name)?.status !== 'started') {
      const r = await this.start(project, w.name);
      if (r.changed) return { worker: r.worker, started: true };
    }
    this.apply(project, w.name, w, { type: 'wake' });
    this.loop.run(project, w.name, { pull: true });
    return { worker: await this.info(project, w.name), started: false };
  }

  async healthy(project: string, name: string): Promise<{ healthy: boolean; problems: string[]; worker: WorkerInfo }> {
    const info = await this.info(project, name);
    const problems = await workerProblems(this.infoDeps(), project, info, tryFind(this.d.projects, project, 'worker', name));
    return { healthy: problems.length === 0, problems, worker: info };
  }

  // ---- reading

  private infoDeps() {
    return { projects: this.d.projects, queues: this.d.queues, engine: this.d.engine };
  }

  info(project: string, name: string): Promise<WorkerInfo> {
    const w = tryFind(this.d.projects, project, 'worker', name);
    const row = this.store.get(project, w?.name ?? name);
    if (!w && !row) requireFind(this.d.projects, project, 'worker', name);
    return toWorkerInfo(this.infoDeps(), project, w?.name ?? name, w, row);
  }

  async list(project: string): Promise<WorkerInfo[]> {
    const defined = this.d.projects.get(project).all('worker');
    const rows = new Map(this.store.list(project).map((r) => [r.name, r]));
    const out: WorkerInfo[] = [];
    for (const w of defined) out.push(await toWorkerInfo(this.infoDeps(), project, w.name, w, rows.get(w.name)));
    for (const [name, row] of rows) {
      if (!defined.some((w) => w.name === name) && row.status === 'started') out.push(await toWorkerInfo(this.infoDeps(), project, name, undefined, row));
    }
    return out;
  }

  counts(): Record<string, number> {
    return { 'workers.started': this.store.started().length };
  }

  // ---- lifecycle

  /** Daemon start: every started worker resumes. */
  startAll(): void {
    for (const row of this.store.started()) {
      try {
        this.loop.run(row.project, row.name, { pull: true });
      } catch (err) {
        this.d.logger.warn('worker not resumed', { project: row.project, worker: row.name, error: String(err) });
      }
    }
  }

  stopAll(): void {
    this.loop.stopAll();
  }
}
