/**
 * A worker takes the next item and hands it to a new pipeline of its
 * handler, in one transaction: the item is taken by that pipeline or not at
 * all. An item whose pipeline cannot even be created counts a failed attempt.
 */
import type { JsonValue } from '@oj/protocol';
import type { Logger } from 'winston';
import { nextAttempt } from '../core/queue/item-machine.js';
import { definitionFromModel } from '../engine/definition-from-model.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import { TERMINAL } from '../core/pipeline-state.js';
import { bindItemToInputs } from '../runbook/index.js';
import type { Pipeline, Queue, Worker } from '../runbook/model.js';
import { orderClause } from '../storage/queue-order.js';
import type { QueueItemRow, QueueStore } from '../storage/queue-store.js';
import type { Storage } from '../storage/storage.js';
import type { ItemLifecycle } from './item-lifecycle.js';
import { endedEvent, type QueueItemOwner } from './pipeline-owner.js';

export interface HandOffDeps {
  storage: Storage;
  items: QueueStore;
  engine: PipelineEngine;
  lifecycle: ItemLifecycle;
  logger: Logger;
}

export interface HandOff {
  item: QueueItemRow;
  /** Null: the handler's pipeline could not be created; the attempt counted as failed. */
  pipeline: string | null;
}

/** Returns null when nothing is pending. */
export function handOffNext(d: HandOffDeps, project: string, worker: Worker, q: Queue, handler: Pipeline): HandOff | null {
  let picked: QueueItemRow | null = null;
  try {
    return d.storage.write(() => {
      const row = d.items.nextPending(project, q.name, orderClause(q.order.text, q.order.terms));
      if (!row) return null;
      picked = row;
      const attempt = nextAttempt(row);
      const owner: QueueItemOwner = { kind: 'queue_item', queue: q.name, item: row.id, seq: row.seq, attempt, worker: worker.name };
      const record = d.engine.create({
        project,
        definition: definitionFromModel(handler),
        inputs: bindItemToInputs(handler.inputs, JSON.parse(row.data) as Record<string, JsonValue>) as Record<string, JsonValue>,
        owner: owner as unknown as Record<string, JsonValue>,
      });
      const pipeline = record.state.id;
      const held = d.lifecycle.apply(row, { type: 'take', by: pipeline, worker: worker.name });
      // A pipeline that ended while being created could not settle its item (it did not hold it yet): settle it now.
      if (TERMINAL.has(record.state.status)) d.lifecycle.apply(held, endedEvent(record, attempt, worker.name, false));
      return { item: held, pipeline };
    });
  } catch (err) {
    const row = picked as QueueItemRow | null;
    if (!row) throw err;
    const error = `cannot start handler ${handler.name}: ${err instanceof Error ? err.message : String(err)}`;
    d.logger.warn('queue item not started', { project, queue: q.name, item: row.id, error });
    d.storage.write(() => {
      const current = d.items.bySeq(row.seq);
      if (current) d.lifecycle.apply(current, { type: 'startFailed', worker: worker.name, error });
    });
    return { item: row, pipeline: null };
  }
}
