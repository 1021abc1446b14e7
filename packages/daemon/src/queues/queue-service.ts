/**
 * Queue semantics over the queue store. Every transition (add, take,
 * complete, fail, time out, exhaust, redrive) is one SQLite transaction with
 * the events that record it; listeners (the workers) hear about it only
 * after it has committed.
 *
 * - Taking is one UPDATE ... WHERE seq = (first pending in order): two takers
 *   never get the same item.
 * - An item a worker hands to a pipeline is taken in the same transaction
 *   that creates the pipeline, and completed or failed inside the transaction
 *   that ends it (the engine's terminal hook): exactly-once completion.
 * - Visibility timeout: one timer for the earliest deadline. An overdue item
 *   counts a failed attempt ("timed out") and becomes visible again (or
 *   exhausts); a pipeline still holding it is cancelled first.
 * - Retention: one timer for the earliest `expires_at`; dead and finished
 *   items are deleted once it passes.
 */
import { ErrorCode, OjError, QueueMethods, type JsonValue } from '@oj/protocol';
import type { Logger } from 'winston';
import { setLongTimeout, type LongTimer } from '../adapters/long-timer.js';
import { definitionFromModel } from '../engine/definition-from-model.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import { TERMINAL } from '../engine/pipeline-state.js';
import type { EventLog } from '../events/event-log.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import { bindItemToInputs, createContext, interpolateShell } from '../runbook/index.js';
import type { Pipeline, Queue, Worker } from '../runbook/model.js';
import type { PipelineRecord } from '../storage/pipeline-store.js';
import { QueueStore, type QueueAttemptRow, type QueueItemRow } from '../storage/queue-store.js';
import type { Storage } from '../storage/storage.js';
import { appendLog, childEnv, logFileFor, runHooks, type ShellHost } from './child-env.js';
import { planExhaust } from './exhaust.js';
import { requireFind, tryFind } from './lookup.js';
import { orderClause, type OrderClause } from './queue-order.js';
import { parseSourceOutput } from './source-items.js';

type ItemInfo = QueueMethods.QueueItemInfo;
type AttemptInfo = QueueMethods.QueueAttemptInfo;

/** What a worker's pipeline carries as its owner. */
export interface QueueItemOwner {
  kind: 'queue_item';
  queue: string;
  item: string;
  seq: number;
  attempt: number;
  worker: string;
}

export interface ItemChange {
  project: string;
  queue: string;
  /** added: new or redriven items; released: an item is visible again; finished: an attempt ended. */
  reason: 'added' | 'released' | 'finished';
  /** The worker whose pipeline held the item, if any. */
  worker: string | null;
}

export interface PullResult {
  added: string[];
  listed: number;
  error: string | null;
}

export interface QueueServiceDeps {
  storage: Storage;
  events: EventLog;
  engine: PipelineEngine;
  projects: ProjectRegistry;
  logger: Logger;
  shell: ShellHost;
  now(): number;
}

const SOURCE_TIMEOUT_MS = 60_000;
/** A bigger batch records one `queue:items:added` event instead of one `queue:item:added` per item. */
const EVENT_PER_ITEM_LIMIT = 100;
const MAX_TIMER_MS = 60 * 60 * 1000;

/** Defaults for items of a queue the runbooks no longer define. */
const FALLBACK: Pick<Queue, 'max_retries' | 'on_exhaust' | 'visibility_timeout' | 'dead' | 'order'> = {
  max_retries: 3,
  on_exhaust: [],
  visibility_timeout: { text: '30m', ms: 30 * 60_000 },
  dead: { retention: { text: '7d', ms: 7 * 86_400_000 } },
  order: { text: 'created_at ASC', terms: [{ field: 'created_at', direction: 'asc' }] },
};

type QueueSettings = typeof FALLBACK & { name: string; source: string | null; file: string | null };

export class QueueService {
  readonly items: QueueStore;
  private readonly listeners = new Set<(c: ItemChange) => void>();
  private readonly pulls = new Map<string, Promise<PullResult>>();
  /** Pipelines being cancelled because their item's visibility timeout passed. */
  private readonly timingOut = new Set<string>();
  private visibilityTimer: LongTimer | null = null;
  private visibilityAt: number | null = null;
  private retentionTimer: LongTimer | null = null;
  private retentionAt: number | null = null;
  private stopped = false;

  constructor(private readonly d: QueueServiceDeps) {
    this.items = new QueueStore(d.storage.database);
  }

  private get storage() {
    return this.d.storage;
  }

  onChange(cb: (c: ItemChange) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private changed(c: ItemChange): void {
    this.storage.afterCommit(() => {
      for (const l of this.listeners) {
        try {
          l(c);
        } catch (err) {
          this.d.logger.warn('queue listener failed', { error: String(err) });
        }
      }
    });
  }

  // ---- definitions

  /** A queue the runbooks define (throws not-found with a suggestion). */
  queue(project: string, name: string): Queue {
    return requireFind(this.d.projects, project, 'queue', name).value;
  }

  /** Settings for items of a queue, falling back to defaults when the runbooks no longer define it. */
  settings(project: string, name: string): QueueSettings {
    const q = tryFind(this.d.projects, project, 'queue', name);
    if (q) return { ...q, name: q.name, source: q.source, file: q.file };
    return { ...FALLBACK, name, source: null, file: null };
  }

  order(q: Pick<Queue, 'order'>): OrderClause {
    return orderClause(q.order.text, q.order.terms);
  }

  // ---- adding

  add(project: string, queueName: string, items: Record<string, unknown>[]): { ids: string[]; added: number; duplicates: string[] } {
    const q = this.queue(project, queueName);
    items.forEach((item, i) => {
      const id = item.id;
      if (id !== undefined && ((typeof id !== 'string' && typeof id !== 'number') || String(id) === '')) {
        throw new OjError(ErrorCode.BadArguments, `item ${i + 1}: "id" must be a non-empty string or a number`, {
          kind: 'bad_arguments',
        });
      }
    });
    const ids: string[] = [];
    const duplicates: string[] = [];
    const each = items.length <= EVENT_PER_ITEM_LIMIT;
    this.storage.write(() => {
      const now = this.d.now();
      for (const item of items) {
        const given = item.id === undefined ? null : String(item.id);
        if (given !== null && this.items.live(project, q.name, given)) {
          duplicates.push(given);
          continue;
        }
        const row = this.items.insert({ project, queue: q.name, id: given, data: item, origin: 'added', now, seenPull: null });
        ids.push(row.id);
        if (each) this.d.events.emit({ name: 'queue:item:added', subject: row.id, project, data: { queue: q.name, id: row.id } });
      }
      if (!each && ids.length) {
        this.d.events.emit({
          name: 'queue:items:added',
          subject: q.name,
          project,
          data: { queue: q.name, count: ids.length, first: ids[0]!, last: ids[ids.length - 1]! },
        });
      }
      if (ids.length) this.changed({ project, queue: q.name, reason: 'added', worker: null });
    });
    return { ids, added: ids.length, duplicates };
  }

  // ---- source queues

  /** Runs a source queue's command and adds what is new. Concurrent calls share one run. */
  pull(project: string, queueName: string): Promise<PullResult> {
    const q = this.queue(project, queueName);
    if (!q.source) {
      throw OjError.illegalState(`queue ${q.name} has no source command; its items are added with oj queue add`, {
        hint: `oj queue add ${q.name} key=value ...`,
      });
    }
    const key = `${project}\0${q.name}`;
    let p = this.pulls.get(key);
    if (!p) {
      p = this.runPull(project, q).finally(() => this.pulls.delete(key));
      this.pulls.set(key, p);
    }
    return p;
  }

  pulling(project: string, queue: string): boolean {
    return this.pulls.has(`${project}\0${queue}`);
  }

  private async runPull(project: string, q: Queue): Promise<PullResult> {
    const logFile = logFileFor(this.d.shell, project, 'queues', q.name);
    const fail = (error: string): PullResult => {
      this.d.logger.warn('queue source failed', { project, queue: q.name, error });
      appendLog(logFile, `[source] ${error}`);
      this.storage.write(() => {
        const s = this.items.source(project, q.name);
        this.items.saveSource(project, q.name, s.pull_gen, this.d.now(), error);
        this.d.events.emit({ name: 'queue:source:failed', subject: q.name, project, data: { queue: q.name, error } });
      });
      return { added: [], listed: 0, error };
    };
    let script: string;
    try {
      script = interpolateShell(q.source!, createContext({ name: 'runtime', values: { project_root: project, queue: q.name } }));
    } catch (err) {
      return fail(`cannot build the source command: ${(err as Error).message}`);
    }
    let stdout = '';
    let stderr = '';
    const run = this.d.shell.shellRunner.run({
      script,
      cwd: project,
      env: childEnv(this.d.shell, project, { OJ_QUEUE: q.name }),
      timeoutMs: SOURCE_TIMEOUT_MS,
      onOutput: (data, stream) => {
        if (stream === 'stdout') stdout += data;
        else stderr += data;
      },
    });
    const o = await run.done;
    if (this.stopped) return { added: [], listed: 0, error: 'daemon stopping' };
    if (o.timedOut) return fail(`source command timed out after ${SOURCE_TIMEOUT_MS / 1000}s`);
    if (o.exitCode !== 0) {
      const why = stderr.trim().split('\n').slice(-1)[0] ?? '';
      return fail(`source command exited ${o.exitCode ?? o.signal}${why ? `: ${why}` : ''}`);
    }
    const parsed = parseSourceOutput(stdout);
    if (!parsed.ok) return fail(parsed.message);
    for (const s of parsed.skipped) appendLog(logFile, `[source] skipped: ${s}`);
    const added: string[] = [];
    this.storage.write(() => {
      const now = this.d.now();
      const prev = this.items.source(project, q.name).pull_gen;
      const gen = prev + 1;
      for (const item of parsed.items) {
        const live = this.items.live(project, q.name, item.id);
        if (live) {
          this.items.markSeen(live.seq, gen);
          if (live.status === 'pending') {
            const text = JSON.stringify(item.data);
            if (text !== live.data) this.items.update(live.seq, { data: text, updated_at: now });
          }
          continue;
        }
        // A finished item the previous pull also listed is the same occurrence, not new work.
        const latest = this.items.latest(project, q.name, item.id);
        if (latest && prev > 0 && latest.seen_pull === prev) {
          this.items.markSeen(latest.seq, gen);
          continue;
        }
        const row = this.items.insert({ project, queue: q.name, id: item.id, data: item.data, origin: 'source', now, seenPull: gen });
        added.push(row.id);
      }
      if (added.length > EVENT_PER_ITEM_LIMIT) {
        this.d.events.emit({
          name: 'queue:items:added',
          subject: q.name,
          project,
          data: { queue: q.name, count: added.length, first: added[0]!, last: added[added.length - 1]!, origin: 'source' },
        });
      } else {
        for (const id of added) this.d.events.emit({ name: 'queue:item:added', subject: id, project, data: { queue: q.name, id, origin: 'source' } });
      }
      this.items.saveSource(project, q.name, gen, now, null);
      if (added.length) this.changed({ project, queue: q.name, reason: 'added', worker: null });
    });
    return { added, listed: parsed.items.length, error: null };
  }

  // ---- taking

  /** `oj queue take`: a script takes the next item and must complete or fail it in time. */
  async take(project: string, queueName: string, by: string | undefined): Promise<QueueItemRow | null> {
    const q = this.queue(project, queueName);
    if (q.source && this.items.pendingCount(project, q.name) === 0) await this.pull(project, q.name);
    const row = this.storage.write(() => {
      const now = this.d.now();
      const taken = this.items.take(project, q.name, this.order(q), {
        takenBy: by ?? 'cli',
        worker: null,
        now,
        visibleAt: now + q.visibility_timeout.ms,
      });
      if (!taken) return null;
      this.items.startAttempt({
        item_seq: taken.seq,
        attempt: taken.attempts,
        taken_at: now,
        taken_by: taken.taken_by,
        worker: null,
        ended_at: null,
        outcome: 'running',
        error: null,
      });
      this.d.events.emit({
        name: 'queue:item:taken',
        subject: taken.id,
        project,
        data: { queue: q.name, id: taken.id, attempt: taken.attempts, by: taken.taken_by },
      });
      return taken;
    });
    if (row?.visible_at) this.armVisibility(row.visible_at);
    return row;
  }

  /**
   * A worker takes the next item and hands it to a new pipeline of its
   * handler, in one transaction. Returns null when nothing is pending. An
   * item whose pipeline cannot even be created counts a failed attempt.
   */
  takeForWorker(project: string, worker: Worker, q: Queue, handler: Pipeline): { item: QueueItemRow; pipeline: string | null } | null {
    let picked: QueueItemRow | null = null;
    try {
      const result = this.storage.write(() => {
        const now = this.d.now();
        const row = this.items.take(project, q.name, this.order(q), {
          takenBy: null,
          worker: worker.name,
          now,
          visibleAt: now + q.visibility_timeout.ms,
        });
        if (!row) return null;
        picked = row;
        const data = JSON.parse(row.data) as Record<string, JsonValue>;
        const owner: QueueItemOwner = { kind: 'queue_item', queue: q.name, item: row.id, seq: row.seq, attempt: row.attempts, worker: worker.name };
        const record = this.d.engine.create({
          project,
          definition: definitionFromModel(handler),
          inputs: bindItemToInputs(handler.inputs, data) as Record<string, JsonValue>,
          owner: owner as unknown as Record<string, JsonValue>,
        });
        const pipeline = record.state.id;
        this.items.update(row.seq, { taken_by: pipeline });
        const held = { ...row, taken_by: pipeline };
        this.items.startAttempt({
          item_seq: row.seq,
          attempt: row.attempts,
          taken_at: now,
          taken_by: pipeline,
          worker: worker.name,
          ended_at: null,
          outcome: 'running',
          error: null,
        });
        this.d.events.emit({
          name: 'queue:item:taken',
          subject: row.id,
          project,
          data: { queue: q.name, id: row.id, attempt: row.attempts, pipeline, worker: worker.name },
        });
        // A pipeline that ended while being created could not settle its item: settle it now.
        if (TERMINAL.has(record.state.status)) this.settleByPipeline(held, record);
        return { item: held, pipeline };
      });
      if (result?.item.visible_at) this.armVisibility(result.item.visible_at);
      return result;
    } catch (err) {
      const row = picked as QueueItemRow | null;
      if (!row) throw err;
      const error = `cannot start handler ${handler.name}: ${err instanceof Error ? err.message : String(err)}`;
      this.d.logger.warn('queue item not started', { project, queue: q.name, item: row.id, error });
      this.storage.write(() => {
        const now = this.d.now();
        const current = this.items.bySeq(row.seq);
        if (!current || current.status !== 'pending') return;
        this.items.update(row.seq, { attempts: current.attempts + 1, updated_at: now });
        this.items.startAttempt({
          item_seq: row.seq,
          attempt: current.attempts + 1,
          taken_at: now,
          taken_by: null,
          worker: worker.name,
          ended_at: now,
          outcome: 'failed',
          error,
        });
        this.failAttempt({ ...current, attempts: current.attempts + 1 }, this.settings(project, q.name), error, 'failed', false);
      });
      return { item: row, pipeline: null };
    }
  }

  // ---- finishing

  /** The engine's terminal hook: runs inside the transaction that ends a pipeline. */
  pipelineEnded(record: PipelineRecord, status: 'done' | 'failed' | 'cancelled'): void {
    const owner = record.owner as Partial<QueueItemOwner> | null;
    if (!owner || owner.kind !== 'queue_item' || typeof owner.seq !== 'number') return;
    const row = this.items.bySeq(owner.seq);
    const id = record.state.id;
    if (!row || row.status !== 'taken' || row.taken_by !== id || row.attempts !== owner.attempt) {
      this.d.logger.debug('pipeline ended; its item is no longer held by it', { pipeline: id, item: owner.item });
      // Its worker still has a slot back.
      if (typeof owner.worker === 'string') this.changed({ project: record.project, queue: owner.queue ?? '', reason: 'finished', worker: owner.worker });
      return;
    }
    const q = this.settings(record.project, row.queue);
    if (status === 'done') {
      this.completeRow(row, q);
      return;
    }
    const timedOut = this.timingOut.has(id);
    const error = timedOut
      ? `visibility timeout (${q.visibility_timeout.text}) passed; pipeline ${id} cancelled`
      : `pipeline ${id} ${status}${record.state.error ? `: ${record.state.error}` : ''}`;
    this.failAttempt(row, q, error, timedOut ? 'timed_out' : 'failed');
  }

  private completeRow(row: QueueItemRow, q: QueueSettings): QueueItemRow {
    const now = this.d.now();
    const set = {
      status: 'completed',
      finished_at: now,
      visible_at: null,
      error: null,
      expires_at: now + q.dead.retention.ms,
      updated_at: now,
    };
    this.items.update(row.seq, set);
    if (row.status === 'taken') this.items.endAttempt(row.seq, row.attempts, 'completed', null, now);
    this.d.events.emit({
      name: 'queue:item:completed',
      subject: row.id,
      project: row.project,
      data: { queue: row.queue, id: row.id, attempt: row.attempts, ...(row.taken_by ? { by: row.taken_by } : {}) },
    });
    this.armRetentionAfterCommit(set.expires_at);
    this.changed({ project: row.project, queue: row.queue, reason: 'finished', worker: row.worker });
    return { ...row, ...set };
  }

  /**
   * One failed (or timed-out) attempt: the item is visible again while it has
   * retries left, else `on_exhaust` applies. Call inside a write.
   */
  private failAttempt(row: QueueItemRow, q: QueueSettings, error: string, outcome: 'failed' | 'timed_out', endAttempt = true): QueueItemRow {
    const now = this.d.now();
    if (endAttempt && row.status === 'taken') this.items.endAttempt(row.seq, row.attempts, outcome, error, now);
    const failures = row.failures + 1;
    const exhausted = failures > q.max_retries;
    this.d.events.emit({
      name: 'queue:item:failed',
      subject: row.id,
      project: row.project,
      data: {
        queue: row.queue,
        id: row.id,
        attempt: row.attempts,
        failures,
        maxRetries: q.max_retries,
        error,
        ...(outcome === 'timed_out' ? { timedOut: true } : {}),
        willRetry: !exhausted,
      },
    });
    const released = {
      status: 'pending',
      taken_at: null,
      taken_by: null,
      worker: null,
      visible_at: null,
      error,
      updated_at: now,
    };
    if (!exhausted) {
      this.items.update(row.seq, { ...released, failures });
      this.changed({ project: row.project, queue: row.queue, reason: 'released', worker: row.worker });
      return { ...row, ...released, failures };
    }
    const plan = planExhaust(q.on_exhaust);
    if (plan.ignored.length) this.d.logger.warn('on_exhaust steps ignored for a queue item', { queue: row.queue, steps: plan.ignored });
    if (plan.escalate) {
      this.d.events.emit({
        name: 'escalate',
        subject: `${row.queue}/${row.id}`,
        project: row.project,
        data: {
          kind: 'queue_item',
          source: 'queue',
          queue: row.queue,
          id: row.id,
          reason: `item ${row.queue}/${row.id}: retries exhausted after ${failures} failures: ${error}`,
          error,
        },
      });
    }
    for (const action of plan.actions) this.runExhaustAction(row, action, error);
    let next: QueueItemRow;
    if (plan.status === 'pending') {
      next = { ...row, ...released, failures: 0 };
      this.items.update(row.seq, { ...released, failures: 0 });
      this.d.events.emit({ name: 'queue:item:requeued', subject: row.id, project: row.project, data: { queue: row.queue, id: row.id, reason: 'on_exhaust' } });
      this.changed({ project: row.project, queue: row.queue, reason: 'released', worker: row.worker });
      return next;
    }
    const set = {
      status: plan.status,
      taken_at: null,
      taken_by: null,
      worker: null,
      visible_at: null,
      error,
      failures,
      finished_at: now,
      expires_at: now + q.dead.retention.ms,
      updated_at: now,
    };
    this.items.update(row.seq, set);
    this.d.events.emit({
      name: plan.status === 'dead' ? 'queue:item:dead' : 'queue:item:abandoned',
      subject: row.id,
      project: row.project,
      data: { queue: row.queue, id: row.id, failures, error, ...(plan.escalate ? { escalated: true } : {}) },
    });
    this.armRetentionAfterCommit(set.expires_at);
    this.changed({ project: row.project, queue: row.queue, reason: 'finished', worker: row.worker });
    return { ...row, ...set };
  }

  private runExhaustAction(row: QueueItemRow, actionId: string, error: string): void {
    const project = this.d.projects.peek(row.project);
    const action = project?.get(actionId);
    if (!action || action.kind !== 'action') return;
    const data = JSON.parse(row.data) as Record<string, unknown>;
    this.storage.afterCommit(() =>
      runHooks(this.d.shell, {
        project: row.project,
        hook: `on_exhaust ${action.name}`,
        commands: [action.run],
        values: { ...data, item: data, queue: row.queue, id: row.id, error, project_root: row.project },
        logFile: logFileFor(this.d.shell, row.project, 'queues', row.queue),
        subject: `${row.queue}/${row.id}`,
      }),
    );
  }

  /** The item a CLI call names: the live one, else the newest finished one. */
  find(project: string, queue: string, id: string): QueueItemRow {
    const row = this.items.live(project, queue, id) ?? this.items.latest(project, queue, id);
    if (!row) {
      this.queueExists(project, queue);
      throw OjError.notFound('item', `${queue}/${id}`, { hint: `oj queue list ${queue} shows its items` });
    }
    return row;
  }

  /** Throws not-found for a queue neither defined nor holding items. */
  private queueExists(project: string, queue: string): void {
    if (tryFind(this.d.projects, project, 'queue', queue)) return;
    if (Object.keys(this.items.countByStatus(project, queue)).length) return;
    this.queue(project, queue);
  }

  complete(project: string, queue: string, id: string): QueueItemRow {
    return this.storage.write(() => {
      const row = this.find(project, queue, id);
      if (row.status === 'completed' || row.status === 'abandoned') {
        throw OjError.illegalState(`item ${queue}/${id} is already ${row.status}`, { state: row.status });
      }
      return this.completeRow(row, this.settings(project, queue));
    });
  }

  fail(project: string, queue: string, id: string, error: string | undefined): QueueItemRow {
    return this.storage.write(() => {
      const row = this.find(project, queue, id);
      if (row.status !== 'taken' && row.status !== 'pending') {
        throw OjError.illegalState(`item ${queue}/${id} is ${row.status}; only pending or taken items can fail`, {
          state: row.status,
          ...(row.status === 'dead' ? { hint: `oj queue retry ${queue} ${id} redrives it` } : {}),
        });
      }
      return this.failAttempt(row, this.settings(project, queue), error ?? 'failed by oj queue fail', 'failed');
    });
  }

  /** Back to pending without counting a failure; a pipeline holding it is cancelled. */
  requeue(project: string, queue: string, id: string): QueueItemRow {
    let cancel: string | null = null;
    const row = this.storage.write(() => {
      const r = this.find(project, queue, id);
      if (r.status === 'pending') throw OjError.illegalState(`item ${queue}/${id} is already pending`, { state: r.status });
      if (r.status !== 'taken' && r.status !== 'dead' && this.items.live(project, queue, id)) {
        throw OjError.illegalState(`another item ${queue}/${id} is already queued`, { state: r.status });
      }
      const now = this.d.now();
      if (r.status === 'taken') {
        this.items.endAttempt(r.seq, r.attempts, 'requeued', null, now);
        if (r.worker && r.taken_by) cancel = r.taken_by;
      }
      const set = {
        status: 'pending',
        taken_at: null,
        taken_by: null,
        worker: null,
        visible_at: null,
        finished_at: null,
        expires_at: null,
        failures: r.status === 'taken' ? r.failures : 0,
        updated_at: now,
      };
      this.items.update(r.seq, set);
      this.d.events.emit({ name: 'queue:item:requeued', subject: id, project, data: { queue, id, from: r.status } });
      this.changed({ project, queue, reason: 'added', worker: r.worker });
      return { ...r, ...set };
    });
    if (cancel) this.cancelPipeline(cancel, `item ${queue}/${id} requeued`);
    return row;
  }

  remove(project: string, queue: string, id: string): QueueItemRow {
    let cancel: string | null = null;
    const row = this.storage.write(() => {
      const r = this.find(project, queue, id);
      if (r.status === 'taken' && r.worker && r.taken_by) cancel = r.taken_by;
      this.items.delete(r.seq);
      this.d.events.emit({ name: 'queue:item:removed', subject: id, project, data: { queue, id, status: r.status } });
      if (r.status === 'taken') this.changed({ project, queue, reason: 'finished', worker: r.worker });
      return r;
    });
    if (cancel) this.cancelPipeline(cancel, `item ${queue}/${id} removed`);
    return row;
  }

  /**
   * Straight to the dead letters, whatever retries are left and whatever
   * `on_exhaust` says: one transition and one `queue:item:dead` event. A taken
   * item's attempt ends as failed and the pipeline holding it is cancelled
   * (its end then finds the item no longer held and only frees the slot).
   */
  bury(project: string, queue: string, id: string, reason: string | undefined): QueueItemRow {
    let cancel: string | null = null;
    const error = reason ?? 'buried by oj queue bury';
    const row = this.storage.write(() => {
      const r = this.find(project, queue, id);
      if (r.status !== 'pending' && r.status !== 'taken') {
        throw OjError.illegalState(
          r.status === 'dead' ? `item ${queue}/${id} is already dead` : `item ${queue}/${id} is ${r.status}; only pending or taken items can be buried`,
          {
            state: r.status,
            hint: r.status === 'dead' ? `oj queue dead ${queue} lists it; oj queue retry ${queue} ${id} redrives it` : `oj queue requeue ${queue} ${id} queues it again`,
          },
        );
      }
      const q = this.settings(project, queue);
      const now = this.d.now();
      if (r.status === 'taken') {
        this.items.endAttempt(r.seq, r.attempts, 'failed', error, now);
        if (r.worker && r.taken_by) cancel = r.taken_by;
      }
      const set = {
        status: 'dead',
        taken_at: null,
        taken_by: null,
        worker: null,
        visible_at: null,
        error,
        finished_at: now,
        expires_at: now + q.dead.retention.ms,
        updated_at: now,
      };
      this.items.update(r.seq, set);
      this.d.events.emit({
        name: 'queue:item:dead',
        subject: r.id,
        project,
        data: { queue, id: r.id, failures: r.failures, error, buried: true, from: r.status },
      });
      this.armRetentionAfterCommit(set.expires_at);
      this.changed({ project, queue, reason: 'finished', worker: r.worker });
      return { ...r, ...set };
    });
    if (cancel) this.cancelPipeline(cancel, `item ${queue}/${id} moved to the dead letters`);
    return row;
  }

  /** Redrive dead items: pending again with their failure count reset. */
  retry(project: string, queue: string, id: string | undefined, all: boolean): QueueItemRow[] {
    return this.storage.write(() => {
      let rows: QueueItemRow[];
      if (all) rows = this.items.list({ project, queue, statuses: ['dead'] }, null);
      else {
        if (id === undefined) throw new OjError(ErrorCode.BadArguments, 'say which item to retry, or --all', { kind: 'bad_arguments' });
        const r = this.find(project, queue, id);
        if (r.status !== 'dead') {
          throw OjError.illegalState(`item ${queue}/${id} is ${r.status}, not dead`, {
            state: r.status,
            hint: r.status === 'pending' || r.status === 'taken' ? undefined : `oj queue requeue ${queue} ${id} queues it again`,
          });
        }
        rows = [r];
      }
      const now = this.d.now();
      const out: QueueItemRow[] = [];
      for (const r of rows) {
        const set = { status: 'pending', failures: 0, finished_at: null, expires_at: null, updated_at: now };
        this.items.update(r.seq, set);
        this.d.events.emit({ name: 'queue:item:retried', subject: r.id, project, data: { queue, id: r.id, attempts: r.attempts } });
        out.push({ ...r, ...set });
      }
      if (out.length) this.changed({ project, queue, reason: 'added', worker: null });
      return out;
    });
  }

  attempts(row: QueueItemRow): AttemptInfo[] {
    return this.items.attempts(row.seq).map(toAttemptInfo);
  }

  private cancelPipeline(id: string, reason: string): void {
    const p = this.d.engine.store.get(id);
    if (!p || TERMINAL.has(p.state.status)) return;
    try {
      this.d.engine.apply(id, { type: 'cancel', reason });
    } catch (err) {
      this.d.logger.warn('pipeline not cancelled', { pipeline: id, reason, error: String(err) });
    }
  }

  // ---- visibility timeout

  armVisibility(at: number): void {
    if (this.stopped) return;
    if (this.visibilityAt !== null && this.visibilityAt <= at) return;
    this.visibilityTimer?.cancel();
    this.visibilityAt = at;
    const delay = Math.min(Math.max(0, at - this.d.now()), MAX_TIMER_MS);
    this.visibilityTimer = setLongTimeout(
      () => {
        this.visibilityTimer = null;
        this.visibilityAt = null;
        this.expireOverdue();
      },
      delay,
      { unref: true },
    );
  }

  /** Items past their visibility deadline become visible again (a failed attempt each). */
  expireOverdue(): void {
    if (this.stopped) return;
    try {
      for (const row of this.items.overdue(this.d.now())) this.timeOut(row);
    } catch (err) {
      this.d.logger.error('visibility sweep failed', { error: String(err) });
    }
    const next = this.items.nextVisibleAt();
    if (next !== null) this.armVisibility(next);
  }

  private timeOut(row: QueueItemRow): void {
    const q = this.settings(row.project, row.queue);
    const pipelineId = row.worker ? row.taken_by : null;
    const p = pipelineId ? this.d.engine.store.get(pipelineId) : undefined;
    if (pipelineId && p && !TERMINAL.has(p.state.status)) {
      this.d.logger.info('visibility timeout: cancelling the pipeline holding the item', { queue: row.queue, item: row.id, pipeline: pipelineId });
      this.timingOut.add(pipelineId);
      try {
        this.d.engine.apply(pipelineId, { type: 'cancel', reason: `visibility timeout (${q.visibility_timeout.text}) of item ${row.queue}/${row.id}` });
      } catch (err) {
        this.d.logger.warn('pipeline not cancelled at visibility timeout', { pipeline: pipelineId, error: String(err) });
      } finally {
        this.timingOut.delete(pipelineId);
      }
    }
    // Whatever happened above, an item still held past its deadline is released now.
    this.storage.write(() => {
      const current = this.items.bySeq(row.seq);
      if (!current || current.status !== 'taken' || current.attempts !== row.attempts || current.taken_by !== row.taken_by) return;
      if (current.worker && p && TERMINAL.has(p.state.status)) {
        // Its pipeline ended without settling it (it cannot, but be safe): settle by the outcome.
        this.settleByPipeline(current, p);
        return;
      }
      this.failAttempt(current, q, `visibility timeout (${q.visibility_timeout.text}) passed`, 'timed_out');
    });
  }

  private settleByPipeline(row: QueueItemRow, p: PipelineRecord): void {
    const q = this.settings(row.project, row.queue);
    if (p.state.status === 'done') this.completeRow(row, q);
    else this.failAttempt(row, q, `pipeline ${p.state.id} ${p.state.status}${p.state.error ? `: ${p.state.error}` : ''}`, 'failed');
  }

  // ---- retention

  private armRetentionAfterCommit(at: number): void {
    this.storage.afterCommit(() => this.armRetention(at));
  }

  armRetention(at: number): void {
    if (this.stopped) return;
    if (this.retentionAt !== null && this.retentionAt <= at) return;
    this.retentionTimer?.cancel();
    this.retentionAt = at;
    const delay = Math.min(Math.max(0, at - this.d.now()), MAX_TIMER_MS);
    this.retentionTimer = setLongTimeout(
      () => {
        this.retentionTimer = null;
        this.retentionAt = null;
        this.prune();
      },
      delay,
      { unref: true },
    );
  }

  prune(): number {
    if (this.stopped) return 0;
    let n = 0;
    try {
      this.storage.write(() => {
        const gone = this.items.prune(this.d.now());
        n = gone.length;
        const byQueue = new Map<string, { project: string; queue: string; dead: number; finished: number }>();
        for (const g of gone) {
          const key = `${g.project}\0${g.queue}`;
          const e = byQueue.get(key) ?? { project: g.project, queue: g.queue, dead: 0, finished: 0 };
          if (g.status === 'dead') e.dead++;
          else e.finished++;
          byQueue.set(key, e);
        }
        for (const e of byQueue.values()) {
          this.d.events.emit({ name: 'queue:pruned', subject: e.queue, project: e.project, data: { queue: e.queue, dead: e.dead, finished: e.finished } });
        }
      });
    } catch (err) {
      this.d.logger.error('queue retention sweep failed', { error: String(err) });
    }
    const next = this.items.nextExpiry();
    if (next !== null) this.armRetention(next);
    return n;
  }

  // ---- lifecycle

  /**
   * After a restart: items held by pipelines that have ended (or vanished)
   * are settled by that outcome; items held by pipelines still under way stay
   * with them, with a fresh visibility window (their phase starts over, and
   * the downtime is not theirs); timers are re-armed from the stored deadlines.
   */
  reconcile(): { settled: number; kept: number } {
    let settled = 0;
    let kept = 0;
    this.storage.write(() => {
      for (const row of this.items.allTaken()) {
        if (!row.worker) continue;
        const p = row.taken_by ? this.d.engine.store.get(row.taken_by) : undefined;
        if (p && !TERMINAL.has(p.state.status)) {
          // Its pipeline runs its current phase again from the start: give it a fresh visibility window.
          const fresh = this.d.now() + this.settings(row.project, row.queue).visibility_timeout.ms;
          if ((row.visible_at ?? 0) < fresh) this.items.update(row.seq, { visible_at: fresh });
          kept++;
          continue;
        }
        settled++;
        if (p) this.settleByPipeline(row, p);
        else this.failAttempt(row, this.settings(row.project, row.queue), `pipeline ${row.taken_by ?? '?'} no longer exists`, 'failed');
      }
    });
    if (settled || kept) this.d.logger.info('queue items reconciled', { settled, keptWithPipelines: kept });
    const v = this.items.nextVisibleAt();
    if (v !== null) this.armVisibility(v);
    const r = this.items.nextExpiry();
    if (r !== null) this.armRetention(r);
    return { settled, kept };
  }

  stop(): void {
    this.stopped = true;
    this.visibilityTimer?.cancel();
    this.retentionTimer?.cancel();
    this.visibilityTimer = null;
    this.retentionTimer = null;
  }

  // ---- reading

  summary(project: string): QueueMethods.QueueSummary[] {
    const p = this.d.projects.get(project);
    const workers = p.all('worker');
    const out: QueueMethods.QueueSummary[] = [];
    const names = new Set<string>();
    for (const q of p.all('queue')) {
      names.add(q.name);
      const s = this.items.source(project, q.name);
      out.push({
        name: q.name,
        runbook: q.file,
        source: q.source,
        order: q.order.text,
        visibilityTimeout: q.visibility_timeout.text,
        maxRetries: q.max_retries,
        onExhaust: q.on_exhaust.map((c) => c.text),
        retention: q.dead.retention.text,
        counts: counts(this.items.countByStatus(project, q.name)),
        workers: workers.filter((w) => w.queue.id === q.id).map((w) => w.name),
        lastPullAt: s.last_pull_at === null ? null : iso(s.last_pull_at),
        lastPullError: s.last_error,
      });
    }
    return out;
  }
}

function counts(c: Record<string, number>): Record<QueueMethods.QueueItemStatus, number> {
  return {
    pending: c.pending ?? 0,
    taken: c.taken ?? 0,
    completed: c.completed ?? 0,
    dead: c.dead ?? 0,
    abandoned: c.abandoned ?? 0,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

export function toItemInfo(r: QueueItemRow): ItemInfo {
  return {
    queue: r.queue,
    id: r.id,
    status: r.status as ItemInfo['status'],
    data: JSON.parse(r.data) as Record<string, JsonValue>,
    origin: r.origin === 'source' ? 'source' : 'added',
    attempts: r.attempts,
    failures: r.failures,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    takenAt: isoOrNull(r.taken_at),
    takenBy: r.taken_by,
    worker: r.worker,
    visibleAt: isoOrNull(r.visible_at),
    finishedAt: isoOrNull(r.finished_at),
    error: r.error,
    expiresAt: isoOrNull(r.expires_at),
  };
}

function toAttemptInfo(a: QueueAttemptRow): AttemptInfo {
  return {
    attempt: a.attempt,
    takenAt: iso(a.taken_at),
    takenBy: a.taken_by,
    worker: a.worker,
    endedAt: isoOrNull(a.ended_at),
    outcome: a.outcome as AttemptInfo['outcome'],
    error: a.error,
  };
}
