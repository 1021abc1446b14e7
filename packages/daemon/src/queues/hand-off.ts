/**
 * A worker takes the next item and hands it to a new pipeline of its
 * handler. On one host (SQLite) that is one transaction: the item is taken
 * by that pipeline or not at all. In a cluster the take is a PostgreSQL
 * transaction (the next pending item `FOR UPDATE SKIP LOCKED`) inside which
 * the pipeline is created locally; should that transaction then fail, the
 * pipeline is cancelled at once (and a daemon that died in between cancels
 * it at its next start: its item is not held by it). An item whose pipeline
 * cannot even be created counts a failed attempt.
 */
import type { JsonValue } from '@oj/protocol';
import type { Logger } from 'winston';
import { nextAttempt } from '../core/queue/item-machine.js';
import { definitionFromModel } from '../engine/definition-from-model.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import { TERMINAL } from '../core/pipeline-state.js';
import { bindItemToInputs } from '../runbook/index.js';
import type { Pipeline, Queue, Worker } from '../runbook/model.js';
import type { PipelineRecord } from '../storage/pipeline-store.js';
import type { QueueItemRow } from '../storage/queue-store.js';
import type { SharedQueues } from '../storage/shared-store.js';
import type { ItemLifecycle } from './item-lifecycle.js';
import { endedEvent, type QueueItemOwner } from './pipeline-owner.js';

export interface HandOffDeps {
  items: SharedQueues;
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
export async function handOffNext(d: HandOffDeps, project: string, worker: Worker, q: Queue, handler: Pipeline): Promise<HandOff | null> {
  let picked: QueueItemRow | null = null;
  let created: PipelineRecord | null = null;
  let attempt = 0;
  try {
    const held = await d.items.change({ next: { project, queue: q.name, order: { text: q.order.text, terms: q.order.terms } } }, (row) => {
      if (!row) return { write: null, result: null };
      picked = row;
      attempt = nextAttempt(row);
      const owner: QueueItemOwner = { kind: 'queue_item', queue: q.name, item: row.id, seq: row.seq, attempt, worker: worker.name };
      const record = d.engine.create({
        project,
        definition: definitionFromModel(handler),
        inputs: bindItemToInputs(handler.inputs, JSON.parse(row.data) as Record<string, JsonValue>) as Record<string, JsonValue>,
        owner: owner as unknown as Record<string, JsonValue>,
      });
      created = record;
      return d.lifecycle.decision(row, { type: 'take', by: record.state.id, worker: worker.name });
    });
    if (!held) return null;
    const record = created as PipelineRecord | null;
    if (!record) return null;
    // A pipeline that ended while being created could not settle its item (it did not hold it yet): settle it now.
    const now = d.engine.store.get(record.state.id) ?? record;
    if (TERMINAL.has(now.state.status)) await d.lifecycle.apply({ seq: held.seq }, endedEvent(now, attempt, worker.name, false));
    return { item: held, pipeline: record.state.id };
  } catch (err) {
    const row = picked as QueueItemRow | null;
    if (!row) throw err;
    const error = `cannot start handler ${handler.name}: ${err instanceof Error ? err.message : String(err)}`;
    d.logger.warn('queue item not started', { project, queue: q.name, item: row.id, error });
    const orphan = created as PipelineRecord | null;
    // The take did not commit but the pipeline (a local write of its own in a cluster) did: it must not run.
    if (orphan && d.engine.store.get(orphan.state.id)) cancel(d, orphan.state.id, error);
    await d.lifecycle.apply({ seq: row.seq }, { type: 'startFailed', worker: worker.name, error }).catch((e: unknown) => {
      d.logger.warn('failed start not recorded', { item: row.id, error: String(e) });
    });
    return { item: row, pipeline: null };
  }
}

function cancel(d: HandOffDeps, id: string, reason: string): void {
  try {
    const p = d.engine.store.get(id);
    if (p && !TERMINAL.has(p.state.status)) d.engine.apply(id, { type: 'cancel', reason });
  } catch (err) {
    d.logger.warn('pipeline of an item not taken is not cancelled', { pipeline: id, error: String(err) });
  }
}
