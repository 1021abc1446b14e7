/**
 * Queues: the commands on items and the wiring of the parts. Every change
 * to an item is one transition of the item lifecycle (core/queue), applied
 * by `ItemLifecycle` in one transaction of the shared store (the daemon's
 * SQLite, or PostgreSQL in cluster mode: docs/cluster.md) with the events
 * that record it; listeners (the workers) hear about it only after it has
 * committed, those on other hosts through the store's notices.
 *
 * - Taking picks the first pending item in queue order inside the write
 *   that takes it: two takers never get the same item.
 * - An item a worker hands to a pipeline is taken in the same transaction
 *   that creates the pipeline (hand-off.ts), and completed or failed inside
 *   the transaction that ends it (`pipelineEnded`, the engine's terminal
 *   hook): exactly-once completion.
 * - Visibility timeout (visibility.ts) and retention (retention.ts): one
 *   timer each for the earliest stored deadline.
 * - Source queues are pulled by source-pull.ts.
 */
import { ErrorCode, OjError, type QueueMethods } from '@oj/protocol';
import type { Logger } from 'winston';
import { addedRecords, EVENT_PER_ITEM_LIMIT, invalidItems } from '../core/queue/add.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import { TERMINAL } from '../core/pipeline-state.js';
import type { EventLog } from '../events/event-log.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { Pipeline, Queue, Worker } from '../runbook/model.js';
import type { PipelineRecord } from '../storage/pipeline-store.js';
import { QueueStore, type QueueItemRow } from '../storage/queue-store.js';
import type { QueueOrder, SharedItemRow, SharedQueues, SharedStore } from '../storage/shared-store.js';
import { heldBy } from '../core/queue/item-machine.js';
import { toQueueItem } from '../storage/queue-item-row.js';
import type { Storage } from '../storage/storage.js';
import type { ShellHost } from '../adapters/shell-host.js';
import { DeadlineTimer } from '../adapters/deadline-timer.js';
import { handOffNext, type HandOff } from './hand-off.js';
import { ItemChanges, type ItemChange } from './item-changes.js';
import { ItemEffects } from './item-effects.js';
import { toAttemptInfo, toQueueSummary } from './item-info.js';
import { ItemLifecycle } from './item-lifecycle.js';
import { requireFind, tryFind } from '../projects/find-primitive.js';
import { endedEvent, itemOwner } from './pipeline-owner.js';
import { pruneExpired } from './retention.js';
import { queueSettings, type QueueSettings } from './queue-settings.js';
import { SourcePuller, type PullResult } from './source-pull.js';
import { VisibilitySweep } from './visibility.js';

export type { ItemChange } from './item-changes.js';
export type { QueueItemOwner } from './pipeline-owner.js';
export type { PullResult } from './source-pull.js';

export interface QueueServiceDeps {
  storage: Storage;
  shared: SharedStore;
  events: EventLog;
  engine: PipelineEngine;
  projects: ProjectRegistry;
  logger: Logger;
  shell: ShellHost;
  now(): number;
}

export class QueueService {
  /** The shared items (queues, attempts, sources). */
  readonly items: SharedQueues;
  /** The local database's view of worker pipelines. */
  private readonly local: QueueStore;
  private readonly changes: ItemChanges;
  private readonly lifecycle: ItemLifecycle;
  private readonly effects: ItemEffects;
  private readonly sources: SourcePuller;
  private readonly visibility: VisibilitySweep;
  private readonly visibilityTimer: DeadlineTimer;
  private readonly retentionTimer: DeadlineTimer;

  constructor(private readonly d: QueueServiceDeps) {
    const items = (this.items = d.shared.queues);
    this.local = new QueueStore(d.storage.database);
    const settings = (project: string, queue: string) => this.settings(project, queue);
    this.changes = new ItemChanges(d.logger);
    // In a cluster the leader also looks again every so often: deadlines set on other hosts arm nothing here.
    const look = d.shared.leader.lookEveryMs;
    this.visibilityTimer = new DeadlineTimer(d.now, () => void this.expireOverdue(), look === null ? {} : { maxWaitMs: look });
    this.retentionTimer = new DeadlineTimer(d.now, () => void this.prune());
    this.effects = new ItemEffects({ ...d, changes: this.changes, visibility: this.visibilityTimer, retention: this.retentionTimer });
    this.lifecycle = new ItemLifecycle({ ...d, hostId: d.shared.hostId, shared: items, effects: this.effects, settings });
    this.sources = new SourcePuller({ ...d, items, added: (project, queue) => this.changes.tell({ project, queue, reason: 'added', worker: null }) });
    this.visibility = new VisibilitySweep({ ...d, hostId: d.shared.hostId, items, lifecycle: this.lifecycle, settings, leads: (project) => d.shared.leader.leads(project) });
    // Another host added or released items: this host's workers look again (null: notices were lost, look at everything).
    d.shared.onRemoteChange((n) => {
      if (n) this.changes.tell(n);
      else this.changes.tell({ project: '*', queue: '*', reason: 'added', worker: null });
      if (d.shared.leader.leadsAny()) void this.rearmVisibility();
      // An item of this host's was taken back elsewhere (or notices were lost): its pipeline must not run on.
      if (!n || n.takenFrom === d.shared.hostId) void this.cancelLost();
    });
    // The leader runs the sweeps: a host that becomes it sweeps at once (once started: after the reconcile).
    d.shared.leader.onChange((c) => {
      if (c.leads && this.sweeping) this.sweepNow();
    });
  }

  /** Set once the items held here were reconciled at start (sweeping before that could time out what the reconcile keeps). */
  private sweeping = false;

  /** At start, after the reconcile: the sweeps may run (at once if this host leads). */
  startSweeps(): void {
    this.sweeping = true;
    if (this.d.shared.leader.leadsAny()) this.sweepNow();
  }

  /** In a cluster, the projects this host leads (their sweeps are its); on its own undefined: all. */
  private led(): string[] | undefined {
    const leader = this.d.shared.leader;
    return leader.lookEveryMs === null ? undefined : this.d.projects.roots().filter((r) => leader.leads(r));
  }

  /** The sweeps, now (a host that became the leader). */
  private sweepNow(): void {
    void this.expireOverdue();
    void this.prune();
  }

  onChange(cb: (c: ItemChange) => void): () => void {
    return this.changes.onChange(cb);
  }

  // ---- definitions

  /** A queue the runbooks define (throws not-found with a suggestion). */
  queue(project: string, name: string): Queue {
    return requireFind(this.d.projects, project, 'queue', name).value;
  }

  /** Settings for items of a queue, falling back to defaults when the runbooks no longer define it. */
  settings(project: string, name: string): QueueSettings {
    return queueSettings(this.d.projects, project, name);
  }

  order(q: Pick<Queue, 'order'>): QueueOrder {
    return { text: q.order.text, terms: q.order.terms };
  }

  /** How many slots a worker's work occupies on this host: its pipelines under way, or the items held for it if more. */
  async inFlight(project: string, worker: string): Promise<number> {
    const held = (await this.items.takenByWorker(project, worker)).length;
    return Math.max(this.local.activePipelinesOfWorker(project, worker), held);
  }

  // ---- adding

  async add(project: string, queueName: string, items: Record<string, unknown>[]): Promise<{ ids: string[]; added: number; duplicates: string[] }> {
    const q = this.queue(project, queueName);
    const invalid = invalidItems(items);
    if (invalid) throw new OjError(ErrorCode.BadArguments, invalid, { kind: 'bad_arguments' });
    const entries = items.map((data) => ({ id: data.id === undefined ? null : String(data.id), data }));
    const { added, duplicates } = await this.items.add(project, q.name, entries, this.d.now(), (rows) => {
      const ids = rows.map((r) => r.id);
      for (const e of addedRecords(q.name, ids, items.length > EVENT_PER_ITEM_LIMIT, 'added')) this.d.events.emit({ ...e, project });
      if (ids.length) this.d.storage.afterCommit(() => this.changes.tell({ project, queue: q.name, reason: 'added', worker: null }));
    });
    return { ids: added.map((r) => r.id), added: added.length, duplicates };
  }

  /** Runs a source queue's command and adds what is new. Concurrent calls share one run. */
  pull(project: string, queueName: string): Promise<PullResult> {
    return this.sources.pull(project, this.queue(project, queueName));
  }

  pulling(project: string, queue: string): boolean {
    return this.sources.pulling(project, queue);
  }

  // ---- taking

  /** `oj queue take`: a script takes the next item (or up to `count` of them, in one transaction) and must complete or fail each in time. */
  async take(project: string, queueName: string, by: string | undefined, count = 1): Promise<QueueItemRow[]> {
    const q = this.queue(project, queueName);
    if (q.source && !(await this.items.hasPending(project, q.name))) await this.pull(project, q.name);
    return this.lifecycle.applyToNext({ project, queue: q.name, order: this.order(q) }, count, { type: 'take', by: by ?? 'cli', worker: null });
  }

  /** A worker hands the next item to a new pipeline of its handler (null: nothing pending). */
  takeForWorker(project: string, worker: Worker, q: Queue, handler: Pipeline): Promise<HandOff | null> {
    return handOffNext({ ...this.d, items: this.items, lifecycle: this.lifecycle }, project, worker, q, handler);
  }

  // ---- finishing

  /** The engine's terminal hook: runs inside the transaction that ends a pipeline. */
  pipelineEnded(record: PipelineRecord, status: 'done' | 'failed' | 'cancelled'): void {
    const owner = itemOwner(record);
    if (!owner) return;
    const id = record.state.id;
    this.lifecycle.settle({ seq: owner.seq, project: record.project, queue: owner.queue }, endedEvent(record, owner.attempt, owner.worker, this.visibility.isTimingOut(id), status));
  }

  /** The item a CLI call names: the live one, else the newest finished one. */
  async find(project: string, queue: string, id: string): Promise<QueueItemRow> {
    const row = (await this.items.live(project, queue, id)) ?? (await this.items.latest(project, queue, id));
    if (!row) {
      await this.queueExists(project, queue);
      throw OjError.notFound('item', `${queue}/${id}`, { hint: `oj queue list ${queue} shows its items` });
    }
    return row;
  }

  /** Throws not-found for a queue neither defined nor holding items. */
  private async queueExists(project: string, queue: string): Promise<void> {
    if (tryFind(this.d.projects, project, 'queue', queue)) return;
    if (Object.keys(await this.items.countByStatus(project, queue)).length) return;
    this.queue(project, queue);
  }

  /** Completes the items `ids` names: one transaction, all or none (errors name the item: ItemLifecycle.applyToAll). */
  async complete(project: string, queue: string, ids: readonly string[]): Promise<QueueItemRow[]> {
    return this.lifecycle.applyToAll(await this.findAll(project, queue, ids), { type: 'complete' });
  }

  /** Fails the items `ids` names (each retried or out of retries by its own count): all or none. */
  async fail(project: string, queue: string, ids: readonly string[], error: string | undefined): Promise<QueueItemRow[]> {
    return this.lifecycle.applyToAll(await this.findAll(project, queue, ids), { type: 'fail', error: error ?? 'failed by oj queue fail', outcome: 'failed' });
  }

  /** The items a batch call names, each as find() finds it; an id named twice or not found is an error naming it (`data.item`, `data.index`). */
  private async findAll(project: string, queue: string, ids: readonly string[]): Promise<QueueItemRow[]> {
    const seen = new Set<string>();
    const rows: QueueItemRow[] = [];
    for (const [index, id] of ids.entries()) {
      if (seen.has(id)) throw new OjError(ErrorCode.BadArguments, `item ${queue}/${id} is named twice`, { kind: 'bad_arguments', item: id, index });
      seen.add(id);
      try {
        rows.push(await this.find(project, queue, id));
      } catch (err) {
        if (err instanceof OjError && err.code === ErrorCode.NotFound && err.data.what === 'item') throw new OjError(err.code, err.message, { ...err.data, item: id, index });
        throw err;
      }
    }
    return rows;
  }

  /** Back to pending without counting a failure; a pipeline holding it is cancelled. */
  async requeue(project: string, queue: string, id: string): Promise<QueueItemRow> {
    const row = await this.find(project, queue, id);
    return this.lifecycle.applyTo(row, { type: 'requeue', liveTwin: (await this.items.live(project, queue, id)) !== undefined });
  }

  async remove(project: string, queue: string, id: string): Promise<QueueItemRow> {
    return this.lifecycle.applyTo(await this.find(project, queue, id), { type: 'remove' });
  }

  /**
   * Straight to the dead letters, whatever retries are left and whatever
   * `on_exhaust` says: one transition and one `queue:item:dead` event. A taken
   * item's attempt ends as failed and the pipeline holding it is cancelled
   * (its end then finds the item no longer held and only frees the slot).
   */
  async bury(project: string, queue: string, id: string, reason: string | undefined): Promise<QueueItemRow> {
    return this.lifecycle.applyTo(await this.find(project, queue, id), { type: 'bury', reason: reason ?? 'buried by oj queue bury' });
  }

  /** Redrive dead items: pending again with their failure count reset. */
  async retry(project: string, queue: string, id: string | undefined, all: boolean): Promise<QueueItemRow[]> {
    if (!all && id === undefined) throw new OjError(ErrorCode.BadArguments, 'say which item to retry, or --all', { kind: 'bad_arguments' });
    const rows = all ? await this.items.list({ project, queue, statuses: ['dead'] }, null) : [await this.find(project, queue, id!)];
    const out: QueueItemRow[] = [];
    for (const r of rows) out.push(await this.lifecycle.applyTo(r, { type: 'redrive' }));
    return out;
  }

  async attempts(row: QueueItemRow): Promise<QueueMethods.QueueAttemptInfo[]> {
    return (await this.items.attempts(row.seq)).map(toAttemptInfo);
  }

  // ---- deadlines

  /**
   * Items past their visibility deadline become visible again (a failed
   * attempt each), as do those of hosts gone silent: the sweep of the
   * projects this host leads (a daemon on its own leads every project).
   */
  private async expireOverdue(): Promise<void> {
    if (!this.d.shared.leader.leadsAny()) return;
    // Only the deadlines of the projects this host leads (another's overdue items are its leader's: no spinning on them).
    const next = await this.visibility.sweep(this.led());
    if (next !== null) this.visibilityTimer.arm(next);
    else if (this.d.shared.leader.lookEveryMs !== null) this.visibilityTimer.arm(Infinity);
  }

  /** Another host took or let go of items: the next deadline may have moved. */
  private async rearmVisibility(): Promise<void> {
    try {
      const v = await this.items.nextVisibleAt(this.led());
      if (v !== null) this.visibilityTimer.arm(v);
    } catch {
      // the database is away; the next notice or sweep tries again
    }
  }

  private async prune(): Promise<void> {
    if (!this.d.shared.leader.leadsAny()) return;
    const { next } = await pruneExpired({ ...this.d, items: this.items, only: this.led() });
    if (next !== null) this.retentionTimer.arm(next);
    // In a cluster: items finished on other hosts arm nothing here; the timer's longest wait (an hour) looks again.
    else if (this.d.shared.leader.lookEveryMs !== null) this.retentionTimer.arm(Infinity);
  }

  // ---- lifecycle

  /**
   * After a restart: items held by pipelines that have ended (or vanished)
   * are settled by that outcome; items held by pipelines still under way stay
   * with them, with a fresh visibility window (their phase starts over, and
   * the downtime is not theirs); timers are re-armed from the stored deadlines.
   */
  async reconcile(): Promise<{ settled: number; kept: number }> {
    let settled = 0;
    let kept = 0;
    for (const row of await this.items.heldHere()) {
      if (!row.worker) continue;
      const p = row.taken_by ? this.d.engine.store.get(row.taken_by) : undefined;
      const target = { seq: row.seq };
      if (p && !TERMINAL.has(p.state.status)) {
        await this.lifecycle.apply(target, { type: 'refresh' });
        kept++;
        continue;
      }
      settled++;
      if (p) await this.lifecycle.apply(target, endedEvent(p, row.attempts, row.worker, false));
      else await this.lifecycle.apply(target, { type: 'fail', error: `pipeline ${row.taken_by ?? '?'} no longer exists`, outcome: 'failed' });
    }
    if (settled || kept) this.d.logger.info('queue items reconciled', { settled, keptWithPipelines: kept });
    const v = await this.items.nextVisibleAt();
    if (v !== null) this.visibilityTimer.arm(v);
    const r = await this.items.nextExpiry();
    if (r !== null) this.retentionTimer.arm(r);
    return { settled, kept };
  }

  /**
   * After a restart: a worker's pipeline whose take never committed (a
   * cluster daemon that died between creating it and its PostgreSQL take)
   * does not hold its item and must not run its handler: it is cancelled.
   * Its item's attempts never reached the pipeline's attempt.
   */
  async cancelUntaken(): Promise<string[]> {
    const cancelled: string[] = [];
    for (const p of this.d.engine.store.active()) {
      const owner = itemOwner(p);
      if (!owner) continue;
      const row = await this.items.bySeq(owner.seq);
      if (!row || row.attempts >= owner.attempt) continue;
      this.effects.cancelPipeline(p.state.id, `its queue item ${owner.queue}/${owner.item} was never taken by it (the take did not commit)`);
      cancelled.push(p.state.id);
    }
    if (cancelled.length) this.d.logger.warn('pipelines of untaken queue items cancelled', { pipelines: cancelled });
    return cancelled;
  }

  /**
   * Worker pipelines here whose item is no longer held by them: another host
   * took it back (the leader's visibility timeout, a requeue or bury there)
   * or it was removed. They are cancelled; their end then only frees their
   * worker's slot. A pipeline whose take has not committed yet is left alone.
   */
  async cancelLost(): Promise<string[]> {
    const cancelled: string[] = [];
    try {
      for (const p of this.d.engine.store.active()) {
        const owner = itemOwner(p);
        if (!owner) continue;
        const row: SharedItemRow | undefined = await this.items.bySeq(owner.seq);
        if (row && row.attempts < owner.attempt) continue;
        if (row && heldBy(toQueueItem(row), p.state.id, owner.attempt) && (!row.host || row.host === this.d.shared.hostId)) continue;
        const why = row ? `was taken back${row.error ? ` (${row.error})` : ''}` : 'was removed';
        this.effects.cancelPipeline(p.state.id, `its queue item ${owner.queue}/${owner.item} ${why}`);
        cancelled.push(p.state.id);
      }
    } catch (err) {
      this.d.logger.warn('pipelines of items taken back not checked', { error: String(err) });
    }
    if (cancelled.length) this.d.logger.info('pipelines of queue items taken back elsewhere cancelled', { pipelines: cancelled });
    return cancelled;
  }

  stop(): void {
    this.sources.stop();
    this.visibility.stop();
    this.visibilityTimer.stop();
    this.retentionTimer.stop();
  }

  // ---- reading

  /**
   * The items of a queue (its source pulled first, unless `pull` is false) or
   * of every queue of the project, and how many match ignoring the limit.
   */
  async list(
    project: string,
    f: { queue?: string | undefined; statuses?: QueueMethods.QueueItemStatus[] | undefined; limit?: number | undefined; pull?: boolean | undefined },
  ): Promise<{ rows: QueueItemRow[]; total: number }> {
    const q = await this.listed(project, f.queue);
    if (q?.source && f.pull !== false) await this.pull(project, q.name);
    const rows = await this.items.list({ project, queue: q?.name, statuses: f.statuses, limit: f.limit }, q ? this.order(q) : null);
    const total = Object.entries(await this.items.countByStatus(project, q?.name))
      .filter(([s]) => !f.statuses?.length || (f.statuses as string[]).includes(s))
      .reduce((n, [, c]) => n + c, 0);
    return { rows, total };
  }

  /** The dead items of a queue, or of every queue of the project. */
  async dead(project: string, queue: string | undefined): Promise<QueueItemRow[]> {
    await this.listed(project, queue);
    return this.items.list({ project, queue, statuses: ['dead'] }, null);
  }

  /** The queue a listing names (not found unless defined or holding items); null for all of them (the project must load). */
  private async listed(project: string, queue: string | undefined): Promise<QueueSettings | null> {
    if (queue === undefined) {
      this.d.projects.get(project);
      return null;
    }
    const q = this.settings(project, queue);
    if (!q.file && !Object.keys(await this.items.countByStatus(project, queue)).length) this.queue(project, queue);
    return q;
  }

  async summary(project: string): Promise<QueueMethods.QueueSummary[]> {
    const p = this.d.projects.get(project);
    const workers = p.all('worker');
    const out: QueueMethods.QueueSummary[] = [];
    for (const q of p.all('queue')) {
      out.push(
        toQueueSummary(q, {
          counts: await this.items.countByStatus(project, q.name),
          workers: workers.filter((w) => w.queue.id === q.id).map((w) => w.name),
          source: await this.items.source(project, q.name),
        }),
      );
    }
    return out;
  }
}
