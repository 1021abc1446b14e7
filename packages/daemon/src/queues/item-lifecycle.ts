/**
 * The shell around the item lifecycle (core/queue/item-machine.ts): every
 * change to a queue item goes through the shared store's `change` (one
 * transaction: the item under a row lock, the core's decision, its row and
 * attempt records), with the events recorded and the effects run after the
 * commit (the decision's local part). A command the item's state does not
 * allow becomes an illegal-state error and changes nothing.
 */
import { OjError, type JsonValue } from '@oj/protocol';
import type { ItemEvent, ItemTransition } from '../core/queue/item.js';
import { ItemRejected } from '../core/queue/item.js';
import { stepItem } from '../core/queue/item-machine.js';
import type { EventLog } from '../events/event-log.js';
import { changedColumns, itemColumns, toQueueItem } from '../storage/queue-item-row.js';
import type { QueueItemRow } from '../storage/queue-store.js';
import type { ItemDecision, ItemNotice, ItemTarget, NextPending, SharedItemRow, SharedQueues } from '../storage/shared-store.js';
import type { Storage } from '../storage/storage.js';
import type { ItemEffects } from './item-effects.js';
import { itemSettings, type QueueSettings } from './queue-settings.js';

/** What a settled change carries (through the outbox on Postgres). */
interface Settlement {
  project: string;
  queue: string;
  event: ItemEvent;
}

export interface ItemLifecycleDeps {
  /** This daemon's host in the cluster (an item another host holds is that host's to cancel the pipeline of). */
  hostId: string;
  storage: Storage;
  shared: SharedQueues;
  events: EventLog;
  effects: ItemEffects;
  settings(project: string, queue: string): QueueSettings;
  now(): number;
}

export class ItemLifecycle {
  constructor(private readonly d: ItemLifecycleDeps) {
    d.shared.setSettler((row, payload) => this.settlement(row, payload));
  }

  /** Applies `event` to the target item; returns the row as written (as it was, if removed), or null when there is none. */
  apply(target: ItemTarget, event: ItemEvent): Promise<QueueItemRow | null> {
    return this.d.shared.change(target, (row) => (row ? this.decision(row, event) : { write: null, result: null }));
  }

  /** Like apply, for an item that must exist (a CLI command's): not found otherwise. */
  async applyTo(row: QueueItemRow, event: ItemEvent): Promise<QueueItemRow> {
    const r = await this.apply({ seq: row.seq }, event);
    if (!r) throw OjError.notFound('item', `${row.queue}/${row.id}`);
    return r;
  }

  /**
   * Applies `event` to each of `rows` (items a call names, as found) in one
   * transaction, all or none: the first that is gone or whose state refuses
   * the event fails the whole call with an error naming it (`data.item`, its
   * id; `data.index`, its place) and nothing changes. The rows as written.
   */
  applyToAll(rows: readonly QueueItemRow[], event: ItemEvent): Promise<QueueItemRow[]> {
    return this.d.shared.changeMany({ seqs: rows.map((r) => r.seq) }, (row, index) => {
      const named = rows[index]!;
      const at = { item: named.id, index };
      if (!row) throw OjError.notFound('item', `${named.queue}/${named.id}`, at);
      try {
        return this.decision(row, event);
      } catch (err) {
        if (err instanceof OjError) throw new OjError(err.code, `${named.queue}/${named.id}: ${err.message}`, { ...err.data, ...at });
        throw err;
      }
    });
  }

  /** Applies `event` (a take) to up to `count` next pending items of a queue in one transaction; the rows as written, in take order. */
  applyToNext(next: NextPending, count: number, event: ItemEvent): Promise<QueueItemRow[]> {
    return this.d.shared.changeMany({ next, count }, (row) => (row ? this.decision(row, event) : { write: null, result: null })).then((rows) => rows.filter((r): r is QueueItemRow => r !== null));
  }

  /**
   * A change settled inside the caller's local write (the end of the item's
   * pipeline): applied there (SQLite) or through the outbox (Postgres).
   */
  settle(item: Pick<QueueItemRow, 'seq' | 'project' | 'queue'>, event: ItemEvent): void {
    const payload: Settlement = { project: item.project, queue: item.queue, event };
    this.d.shared.settle(item.seq, payload as unknown as JsonValue);
  }

  private settlement(row: QueueItemRow | undefined, payload: JsonValue): ItemDecision<void> {
    const s = payload as unknown as Settlement;
    if (row) return { ...this.decision(row, s.event), result: undefined };
    // The item is gone: its pipeline's worker still has a slot back.
    const worker = s.event.type === 'pipelineEnded' ? s.event.worker : null;
    return { write: null, result: undefined, local: () => this.d.storage.afterCommit(() => this.d.effects.run({ project: s.project, queue: s.queue, id: '', data: '{}' }, [{ type: 'notify', reason: 'finished', worker }])) };
  }

  /**
   * The core's decision on `row` as the store writes it. An item another
   * host holds that the change takes back: the pipeline working it is that
   * host's, told through the notices (`takenFrom`), never cancelled here.
   */
  decision(row: QueueItemRow, event: ItemEvent): ItemDecision<QueueItemRow> {
    const t = this.step(row, event);
    const takenFrom = takenBack(row, t, this.d.hostId);
    const notices: ItemNotice[] = t.effects.flatMap((e) => (e.type === 'notify' ? [{ project: row.project, queue: row.queue, reason: e.reason, worker: e.worker, takenFrom }] : []));
    if (takenFrom && !notices.length) notices.push({ project: row.project, queue: row.queue, reason: 'released', worker: row.worker, takenFrom });
    const local: ItemTransition = takenFrom ? { ...t, effects: t.effects.filter((e) => e.type !== 'cancelPipeline') } : t;
    return {
      write: { set: t.removed ? null : changedColumns(row, t.state), remove: t.removed, attempts: t.attempts },
      result: t.removed ? row : { ...row, ...itemColumns(t.state) },
      local: () => this.record(row, local),
      notices,
    };
  }

  private step(row: QueueItemRow, event: ItemEvent): ItemTransition {
    const settings = itemSettings(this.d.settings(row.project, row.queue));
    try {
      return stepItem(toQueueItem(row), settings, event, this.d.now());
    } catch (err) {
      if (err instanceof ItemRejected) throw OjError.illegalState(err.message, { state: err.status, ...(err.hint ? { hint: err.hint } : {}) });
      throw err;
    }
  }

  /** Inside the local write: the transition's events; its effects once that commits. */
  private record(row: QueueItemRow, t: ItemTransition): void {
    for (const e of t.events) this.d.events.emit({ name: e.name, subject: e.subject, project: row.project, data: e.data });
    if (t.effects.length) this.d.storage.afterCommit(() => this.d.effects.run(row, t.effects));
  }
}

/** The host (another than `here`) whose hold of the item the transition ends, or null. */
function takenBack(row: SharedItemRow, t: ItemTransition, here: string): string | null {
  if (row.status !== 'taken' || !row.host || row.host === here) return null;
  const still = !t.removed && t.state.status === 'taken' && t.state.takenBy === row.taken_by && t.state.attempts === row.attempts;
  return still ? null : row.host;
}
