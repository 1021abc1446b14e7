/**
 * A queue's last hour (pure), from its item events and how many items are
 * open (pending or taken) now: the open count at the end of each minute,
 * walked back from now by undoing each later event, and how many items were
 * completed, and attempts failed, in each minute.
 */
import type { EventRecord } from '@oj/protocol/client';

export const QUEUE_EVENT_PATTERN = 'queue:item*';

export interface QueueBucket {
  /** The minute's start (ms). */
  t: number;
  /** Open items at its end. */
  open: number;
  completed: number;
  /** Attempts that failed (an item may fail several times). */
  failed: number;
}

/** How an event changed the number of open (pending or taken) items. */
export function openDelta(e: EventRecord): number {
  const d = e.data;
  switch (e.name) {
    case 'queue:item:added':
      return 1;
    case 'queue:items:added':
      return typeof d.count === 'number' ? d.count : 0;
    case 'queue:item:completed':
    case 'queue:item:dead':
    case 'queue:item:abandoned':
      return -1;
    case 'queue:item:removed':
      return d.status === 'pending' || d.status === 'taken' ? -1 : 0;
    case 'queue:item:retried':
      return 1;
    case 'queue:item:requeued':
      return d.from === 'dead' || d.from === 'completed' || d.from === 'abandoned' ? 1 : 0;
    default:
      return 0;
  }
}

export function queueHistory(events: EventRecord[], queue: string, openNow: number, now: number, windowMs = 3_600_000, bucketMs = 60_000): QueueBucket[] {
  const mine = events.filter((e) => e.data.queue === queue).sort((a, b) => b.id - a.id);
  const n = Math.ceil(windowMs / bucketMs);
  const start = now - n * bucketMs;
  const buckets: QueueBucket[] = Array.from({ length: n }, (_, k) => ({ t: start + k * bucketMs, open: 0, completed: 0, failed: 0 }));
  let open = openNow;
  let i = 0;
  for (let k = n - 1; k >= 0; k--) {
    const end = start + (k + 1) * bucketMs;
    while (i < mine.length && Date.parse(mine[i]!.time) >= end) open -= openDelta(mine[i++]!);
    buckets[k]!.open = Math.max(0, open);
  }
  for (const e of mine) {
    const k = Math.floor((Date.parse(e.time) - start) / bucketMs);
    const b = buckets[k];
    if (!b) continue;
    if (e.name === 'queue:item:completed') b.completed++;
    else if (e.name === 'queue:item:failed') b.failed++;
  }
  return buckets;
}
