/**
 * The pipeline service the `pipelines.*` handlers call: one method per
 * request. What a pipeline's machine decides goes through the engine
 * (`PipelineEngine.apply`); what its upkeep decides (label, archive,
 * checkpoint, prune: core/pipeline-upkeep.ts) is written here or through
 * `PipelineEngine.amend`, always the row with its events in one transaction,
 * followers told and files removed only after the commit.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { OjError, type CheckpointInfo, type EventRecord, type JsonValue, type PhaseRunInfo, type PipelineInfo, type PipelineStatusName } from '@oj/protocol';
import { setLongTimeout, type LongTimer } from '../adapters/long-timer.js';
import { ACTIVE_STATUSES } from '../core/pipeline-state.js';
import { archive, checkpointEvent, pruneStatuses, pruned, relabel, type PruneRule } from '../core/pipeline-upkeep.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { EventLog } from '../events/event-log.js';
import { toPipelineInfo, type PipelineFilter, type PipelineRecord } from '../storage/pipeline-store.js';
import type { Storage } from '../storage/storage.js';
import { definitionFromModel } from './definition-from-model.js';
import type { PipelineEngine } from './pipeline-engine.js';
import { readTail } from './log-tail.js';

export interface PipelineServiceDeps {
  engine: PipelineEngine;
  storage: Storage;
  events: EventLog;
  projects: ProjectRegistry;
  /** Where each pipeline's phase logs are (`<logsDir>/<key>/`). */
  logsDir: string;
  removeWorkspace(project: string, path: string): Promise<void>;
}

const LOG_TAIL_BYTES = 1024 * 1024;

export class PipelineService {
  constructor(private readonly d: PipelineServiceDeps) {}

  private get store() {
    return this.d.storage.pipelines;
  }

  /** Creates and starts a pipeline from a project's runbooks (`ref`: `fix`, `pipeline.fix`, `bugfix.fix`). */
  create(project: string, ref: string, inputs: Record<string, unknown>, label?: string): PipelineRecord {
    const pipeline = this.d.projects.get(project).find('pipeline', ref);
    if (!pipeline) throw OjError.notFound('pipeline definition', ref);
    return this.d.engine.create({
      project,
      definition: definitionFromModel(pipeline),
      inputs: inputs as Record<string, JsonValue>,
      ...(label !== undefined ? { label } : {}),
    });
  }

  /** A page of pipelines, newest first, and how many match ignoring the limit. */
  list(filter: PipelineFilter): { pipelines: PipelineInfo[]; total: number } {
    const pipelines = this.store.listInfo(filter);
    // A page shorter than the limit is everything there is: no count needed.
    const total = filter.limit !== undefined && pipelines.length >= filter.limit ? this.store.count(filter) : pipelines.length;
    return { pipelines, total };
  }

  show(id: string, project?: string): { record: PipelineRecord; runs: PhaseRunInfo[]; checkpoints: CheckpointInfo[]; history: EventRecord[] } {
    const record = this.d.engine.resolve(id, project);
    const key = record.state.id;
    return {
      record,
      runs: this.store.runs(key),
      checkpoints: this.store.checkpoints(key),
      history: this.d.storage.events.list({ subject: key, limit: 500 }),
    };
  }

  label(id: string, label: string, project?: string): PipelineRecord {
    const key = this.d.engine.resolve(id, project).state.id;
    return this.d.engine.amend(key, (r) => {
      const c = relabel(r.state.handle, r.label, label);
      return c && { record: { ...r, ...c.set }, events: c.events };
    });
  }

  archive(id: string, project?: string): PipelineRecord {
    const key = this.d.engine.resolve(id, project).state.id;
    return this.d.engine.amend(key, (r) => {
      const a = archive(r.state, r.archived);
      if (!a.ok) throw OjError.illegalState(a.message, { state: r.state.status, hint: a.hint });
      return a.change && { record: { ...r, ...a.change.set }, events: a.change.events };
    });
  }

  checkpoint(id: string, message: string, project?: string): CheckpointInfo {
    const r = this.d.engine.resolve(id, project);
    const { storage } = this.d;
    return storage.write(() => {
      const c = storage.pipelines.addCheckpoint(r.state.id, r.state.phase, message, storage.now());
      const e = checkpointEvent(r.state.handle, message);
      this.d.events.emit({ name: e.name, subject: r.state.id, project: r.project, data: e.data });
      return c;
    });
  }

  /**
   * Removes finished pipelines (their rows and `pipeline:pruned` events in one
   * transaction), then their workspaces and logs. Answers their ids.
   */
  async prune(rule: PruneRule & { project?: string | undefined; dryRun?: boolean | undefined }): Promise<string[]> {
    const { storage } = this.d;
    const victims = () => {
      const now = storage.now();
      return this.store
        .list({ project: rule.project, statuses: pruneStatuses(rule) })
        .flatMap((record) => {
          const event = pruned(record.state, rule, now);
          return event ? [{ record, event }] : [];
        });
    };
    if (rule.dryRun) return victims().map((v) => v.record.state.handle);
    let cleanup: Promise<void> = Promise.resolve();
    const gone = storage.write(() => {
      const found = victims().map(({ record, event }) => {
        this.store.delete(record.state.id);
        this.d.events.emit({ name: event.name, subject: record.state.id, project: record.project, data: event.data });
        return record;
      });
      storage.afterCommit(() => {
        cleanup = this.removeFiles(found);
      });
      return found;
    });
    await cleanup;
    return gone.map((v) => v.state.handle);
  }

  /** A pruned pipeline's workspace and logs, one pipeline after another (git does not like two removals at once). */
  private async removeFiles(gone: PipelineRecord[]): Promise<void> {
    for (const v of gone) {
      const ws = typeof v.vars.workspace === 'string' ? v.vars.workspace : null;
      if (ws) await this.d.removeWorkspace(v.project, ws).catch(() => undefined);
      rmSync(join(this.d.logsDir, v.state.id), { recursive: true, force: true });
    }
  }

  /**
   * Waits until one (or, with `all`, every) pipeline has ended, or the
   * timeout passes (or `signal` aborts). Each is answered by its id in its
   * project, with its status then.
   */
  async wait(
    ids: string[],
    o: { all: boolean; timeoutMs?: number | undefined; project?: string | undefined },
    signal: AbortSignal,
  ): Promise<{ results: { id: string; status: PipelineStatusName }[]; timedOut: boolean }> {
    const found = ids.map((x) => this.d.engine.resolve(x, o.project).state);
    const abort = new AbortController();
    const stop = () => abort.abort();
    if (signal.aborted) abort.abort();
    else signal.addEventListener('abort', stop, { once: true });
    const waits = found.map((s) => this.d.engine.waitForEnd(s.id, abort.signal));
    const goal: Promise<unknown> = o.all ? Promise.all(waits) : Promise.race(waits);
    let timer: LongTimer | null = null;
    const timedOut = await Promise.race([
      goal.then(() => false),
      new Promise<boolean>((resolve) => {
        if (o.timeoutMs !== undefined) timer = setLongTimeout(() => resolve(true), o.timeoutMs);
        abort.signal.addEventListener('abort', () => resolve(false), { once: true });
      }),
    ]);
    (timer as LongTimer | null)?.cancel();
    signal.removeEventListener('abort', stop);
    abort.abort();
    const results = found.map((s) => ({ id: s.handle, status: (this.store.get(s.id)?.state.status ?? 'failed') as PipelineStatusName }));
    return { results, timedOut };
  }

  /** The output of a pipeline's phase runs (the last 1 MiB of each), and where each log ended when read. */
  logs(id: string, phase: string | undefined, project?: string): { run: number; phase: string; path: string; text: string; size: number }[] {
    const r = this.d.engine.resolve(id, project);
    const runs = this.store.runs(r.state.id).filter((x) => !phase || x.phase === phase);
    return runs.flatMap((x) => (x.logPath ? [{ run: x.run, phase: x.phase, path: x.logPath, ...readTail(x.logPath, LOG_TAIL_BYTES) }] : []));
  }

  /** For the status overview: pipelines under way, those waiting for a human, the last failures (archived ones left out). */
  overview(project?: string): { active: PipelineInfo[]; needsYou: PipelineInfo[]; recentFailures: PipelineInfo[] } {
    const active = this.store.list({ project, statuses: [...ACTIVE_STATUSES], archived: false }).map(toPipelineInfo);
    const needsYou = active.filter((x) => x.status === 'escalated' || x.waitingFor?.kind === 'human');
    const recentFailures = this.store.list({ project, statuses: ['failed'], archived: false, limit: 5 }).map(toPipelineInfo);
    return { active, needsYou, recentFailures };
  }

  /** Ids of the active pipelines (in `project`) using a workspace or a session. */
  activeUsing(f: { project?: string | undefined; workspace?: string | undefined; session?: string | undefined }): string[] {
    return this.store
      .list({ project: f.project, statuses: [...ACTIVE_STATUSES] })
      .filter(
        (r) =>
          (f.workspace === undefined || r.vars.workspace === f.workspace || r.workspace === f.workspace) &&
          (f.session === undefined || r.session === f.session),
      )
      .map((r) => r.state.handle);
  }
}
