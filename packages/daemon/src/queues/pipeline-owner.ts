/** How a worker's pipeline records the queue item it was handed, and how its end reads as an item event. */
import type { ItemEvent } from '../core/queue/item.js';
import type { PipelineRecord } from '../storage/pipeline-store.js';

/** What a worker's pipeline carries as its owner. */
export interface QueueItemOwner {
  kind: 'queue_item';
  queue: string;
  item: string;
  seq: number;
  attempt: number;
  worker: string;
}

/** The queue item a pipeline was handed, or null when it was not a worker's. */
export function itemOwner(record: PipelineRecord): QueueItemOwner | null {
  const o = record.owner as Partial<QueueItemOwner> | null;
  if (!o || o.kind !== 'queue_item' || typeof o.seq !== 'number' || typeof o.worker !== 'string') return null;
  return { kind: 'queue_item', queue: o.queue ?? '', item: o.item ?? '', seq: o.seq, attempt: o.attempt ?? 0, worker: o.worker };
}

type Ended = Extract<ItemEvent, { type: 'pipelineEnded' }>;

/**
 * The item event of a pipeline that has ended, handed attempt `attempt` by
 * `worker`; `status` as the engine reports it, else read from the record.
 */
export function endedEvent(p: PipelineRecord, attempt: number, worker: string, timedOut: boolean, status: Ended['status'] = terminalStatus(p)): Ended {
  return { type: 'pipelineEnded', pipeline: p.state.id, handle: p.state.handle, attempt, worker, status, error: p.state.error, timedOut };
}

function terminalStatus(p: PipelineRecord): Ended['status'] {
  return p.state.status === 'done' ? 'done' : p.state.status === 'cancelled' ? 'cancelled' : 'failed';
}
