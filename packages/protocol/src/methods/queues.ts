/**
 * Queues: persisted work items (`oj queue add`) or items pulled from a
 * queue's `source` command. Items are addressed by queue name and item id
 * within a project.
 */
import { z } from 'zod';
import type { JsonValue } from '../models.js';
import { QUEUE_BATCH_MAX } from '../limits.js';
import { method } from '../rpc.js';
import { once } from '../once.js';

export type QueueItemStatus = 'pending' | 'taken' | 'completed' | 'dead' | 'abandoned';
/** added (`oj queue add`) | source (pulled from the queue's source command). */
export type QueueItemOrigin = 'added' | 'source';
export const QUEUE_ITEM_STATUSES: readonly QueueItemStatus[] = ['pending', 'taken', 'completed', 'dead', 'abandoned'];

export interface QueueItemInfo {
  queue: string;
  id: string;
  status: QueueItemStatus;
  /** The item's fields (`id` included), usable as `{bug.title}` in the handler pipeline. */
  data: Record<string, JsonValue>;
  /** added (`oj queue add`) or source (pulled from the queue's source command). */
  origin: QueueItemOrigin;
  /** Attempts started. */
  attempts: number;
  /** Failed or timed-out attempts since it was added or last redriven (compared with max_retries). */
  failures: number;
  createdAt: string;
  updatedAt: string;
  takenAt: string | null;
  /** A pipeline id, or the name a script gave when taking it. */
  takenBy: string | null;
  worker: string | null;
  /** While taken: when it becomes visible again unless completed or failed. */
  visibleAt: string | null;
  finishedAt: string | null;
  /** The last failure's message. */
  error: string | null;
  /** Cluster mode: the daemon (`OJ_HOST_ID`) holding a taken item; null when not taken or on one host. */
  host: string | null;
  /** When a dead or finished item is pruned. */
  expiresAt: string | null;
}

export interface QueueAttemptInfo {
  attempt: number;
  takenAt: string;
  takenBy: string | null;
  worker: string | null;
  endedAt: string | null;
  outcome: 'running' | 'completed' | 'failed' | 'timed_out' | 'requeued' | 'removed';
  error: string | null;
  /** Cluster mode: the daemon that took it; null on one host. */
  host: string | null;
}

export interface QueueSummary {
  name: string;
  runbook: string;
  source: string | null;
  order: string;
  visibilityTimeout: string;
  maxRetries: number;
  onExhaust: string[];
  retention: string;
  counts: Record<QueueItemStatus, number>;
  /** Workers of this project that drain the queue. */
  workers: string[];
  lastPullAt: string | null;
  lastPullError: string | null;
}

const project = once(() => z.string().min(1));
const queue = once(() => z.string().min(1).max(200));
const id = once(() => z.string().min(1).max(500));
const status = once(() => z.enum(['pending', 'taken', 'completed', 'dead', 'abandoned']));
const item = once(() => z.record(z.string(), z.unknown()));

export const Add = method<{ ids: string[]; added: number; duplicates: string[] }>()(
  'queues.add',
  () => z.object({ project: project(), queue: queue(), items: z.array(item()).min(1).max(100_000) }).strict(),
  'Add items (JSON objects) in one transaction. An item with an `id` field keeps it; others get a generated id. An id already pending, taken or dead in the queue is not added again (listed in `duplicates`). Wakes the queue\'s workers.',
);

export const Queues = method<{ queues: QueueSummary[] }>()(
  'queues.queues',
  () => z.object({ project: project() }).strict(),
  "The project's queues with item counts per status.",
);

export const List = method<{ items: QueueItemInfo[]; total: number }>()(
  'queues.list',
  () =>
    z
      .object({
        project: project(),
        /** Omit for every queue of the project. */
        queue: queue().optional(),
        status: z.array(status()).optional(),
        limit: z.number().int().min(1).optional(),
        /** Pull a source queue's command first (default true for one source queue). */
        pull: z.boolean().optional(),
      })
      .strict(),
  'Items of one queue (or all queues) in take order: pending first as they would be taken, then taken, dead, completed, abandoned.',
);

export const Show = method<{ item: QueueItemInfo; attempts: QueueAttemptInfo[] }>()(
  'queues.show',
  () => z.object({ project: project(), queue: queue(), id: id() }).strict(),
  'One item with the history of its attempts.',
);

/**
 * `data` of the error a batch call (`ids`) fails with: the first item that
 * stops it, by id and position. Nothing was changed. The error's code and
 * kind say why: not_found (1001), illegal_state (1004, with `state`: e.g. an
 * item completed already) or
 * bad_arguments (1011: the id is given twice).
 */
export interface QueueBatchErrorData {
  kind: string;
  /** The item's id as given. */
  item: string;
  /** Its position in `ids` (0 for a call with `id`). */
  index: number;
  /** illegal_state: the item's status. */
  state?: QueueItemStatus;
  hint?: string;
}

const ids = once(() => z.array(id()).min(1).max(QUEUE_BATCH_MAX));
/** Exactly one of `id` and `ids`. */
const oneOrMany = <T extends { id?: string | undefined; ids?: string[] | undefined }>(p: T) => (p.id === undefined) !== (p.ids === undefined);
const ONE_OR_MANY = { message: 'give either `id` (one item) or `ids` (several), not both and not neither' };

export const Take = method<{
  /** The first item taken (the only one without `count`); null when none is visible. */
  item: QueueItemInfo | null;
  /** Every item taken, in take order: up to `count`, fewer when fewer are visible, none when the queue is empty. */
  items: QueueItemInfo[];
}>()(
  'queues.take',
  () =>
    z
      .object({
        project: project(),
        queue: queue(),
        by: z.string().min(1).max(200).optional(),
        /** How many items to take at most (default 1). */
        count: z.number().int().min(1).max(QUEUE_BATCH_MAX).optional(),
      })
      .strict(),
  'Take the next visible item, or with `count` up to that many (1..100) in queue order, in one transaction (atomically: two takers never get the same one). `item` is the first taken (null when the queue is empty), `items` all of them. The taker must complete or fail each before the visibility timeout.',
);

export const Complete = method<{
  /** The first item (the only one for a call with `id`), completed. */
  item: QueueItemInfo;
  /** Every item named, completed, in the order of `ids`. */
  items: QueueItemInfo[];
}>()(
  'queues.complete',
  () => z.object({ project: project(), queue: queue(), id: id().optional(), ids: ids().optional() }).strict().refine(oneOrMany, ONE_OR_MANY),
  'Mark a taken item (`id`), or several (`ids`, up to 100), completed: all in one transaction, all or none. When an item is not found, already completed or abandoned (illegal state), or named twice, nothing changes and the error\'s `data` names it (`item`: its id, `index`: its place in `ids`; QueueBatchErrorData).',
);

export const Fail = method<{
  /** The first item (the only one for a call with `id`), as it is now. */
  item: QueueItemInfo;
  /** Every item named, in the order of `ids`: pending again to be retried, or dead (or abandoned) once out of retries. */
  items: QueueItemInfo[];
}>()(
  'queues.fail',
  () => z.object({ project: project(), queue: queue(), id: id().optional(), ids: ids().optional(), error: z.string().optional() }).strict().refine(oneOrMany, ONE_OR_MANY),
  'Mark a taken item (`id`), or several (`ids`, up to 100, sharing one `error`), failed: retried (pending again) until max_retries, then on_exhaust applies; a pipeline holding one is cancelled. All in one transaction, all or none, with errors as for queues.complete.',
);

export const Requeue = method<{ item: QueueItemInfo }>()(
  'queues.requeue',
  () => z.object({ project: project(), queue: queue(), id: id() }).strict(),
  'Put an item back to pending without counting a failure (a pipeline holding it is cancelled).',
);

export const Bury = method<{ item: QueueItemInfo }>()(
  'queues.bury',
  () => z.object({ project: project(), queue: queue(), id: id(), reason: z.string().max(2000).optional() }).strict(),
  'Move a pending or taken item straight to the dead letters, whatever retries are left and whatever on_exhaust says (one `queue:item:dead` event; a pipeline holding it is cancelled). A dead, completed or abandoned item is an illegal-state error.',
);

export const Remove = method<{ item: QueueItemInfo }>()(
  'queues.remove',
  () => z.object({ project: project(), queue: queue(), id: id() }).strict(),
  'Delete an item and its history (a pipeline holding it is cancelled).',
);

export const Dead = method<{ items: QueueItemInfo[] }>()(
  'queues.dead',
  () => z.object({ project: project(), queue: queue().optional() }).strict(),
  'Dead-letter items of one queue or of every queue of the project.',
);

export const Retry = method<{ items: QueueItemInfo[] }>()(
  'queues.retry',
  () => z.object({ project: project(), queue: queue(), id: id().optional(), all: z.boolean().optional() }).strict(),
  'Redrive a dead item (or, with `all`, every dead item of the queue): pending again with its failure count reset.',
);

export const Attempts = method<{ item: QueueItemInfo; attempts: QueueAttemptInfo[] }>()(
  'queues.attempts',
  () => z.object({ project: project(), queue: queue(), id: id() }).strict(),
  'The attempts of an item: who took it, when, and how each ended.',
);

export const Pull = method<{ added: string[]; listed: number; error: string | null }>()(
  'queues.pull',
  () => z.object({ project: project(), queue: queue() }).strict(),
  "Run a source queue's command now and add the items it lists that are new.",
);
