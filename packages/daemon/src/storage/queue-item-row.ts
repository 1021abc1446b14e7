/** A queue item row as the item lifecycle (core/queue) sees it, and back. */
import type { QueueItem } from '../core/queue/item.js';
import type { QueueItemRow } from './queue-store.js';

export function toQueueItem(r: QueueItemRow): QueueItem {
  return {
    project: r.project,
    queue: r.queue,
    id: r.id,
    status: r.status,
    attempts: r.attempts,
    failures: r.failures,
    takenAt: r.taken_at,
    takenBy: r.taken_by,
    worker: r.worker,
    visibleAt: r.visible_at,
    finishedAt: r.finished_at,
    error: r.error,
    expiresAt: r.expires_at,
    updatedAt: r.updated_at,
  };
}

type LifecycleColumns = Pick<
  QueueItemRow,
  'status' | 'attempts' | 'failures' | 'taken_at' | 'taken_by' | 'worker' | 'visible_at' | 'finished_at' | 'error' | 'expires_at' | 'updated_at'
>;

export function itemColumns(i: QueueItem): LifecycleColumns {
  return {
    status: i.status,
    attempts: i.attempts,
    failures: i.failures,
    taken_at: i.takenAt,
    taken_by: i.takenBy,
    worker: i.worker,
    visible_at: i.visibleAt,
    finished_at: i.finishedAt,
    error: i.error,
    expires_at: i.expiresAt,
    updated_at: i.updatedAt,
  };
}

/** The columns of `row` that differ in `item`, or null when none do. */
export function changedColumns(row: QueueItemRow, item: QueueItem): Partial<LifecycleColumns> | null {
  const next = itemColumns(item);
  const out: Partial<Record<keyof LifecycleColumns, unknown>> = {};
  let any = false;
  for (const key of Object.keys(next) as (keyof LifecycleColumns)[]) {
    if (next[key] !== row[key]) {
      out[key] = next[key];
      any = true;
    }
  }
  return any ? (out as Partial<LifecycleColumns>) : null;
}
