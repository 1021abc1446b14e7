/** Tables of queues, workers and crons (schema version 3). Times are Unix epoch milliseconds. */
import type { CronMethods, QueueMethods, WorkerMethods } from '@oj/protocol';
import type { Generated } from 'kysely';

export interface QueueItemsTable {
  /** Insertion order; also the tie-breaker of every queue order. */
  seq: Generated<number>;
  project: string;
  queue: string;
  /** The item's id: its own `id` field, or a generated one. At most one live row (pending, taken, dead) per id. */
  id: string;
  /** JSON object: the item's fields, `id` included. */
  data: string;
  status: QueueMethods.QueueItemStatus;
  origin: QueueMethods.QueueItemOrigin;
  /** Attempts started (takes). */
  attempts: number;
  /** Failed or timed-out attempts since the item was added or last redriven; compared with max_retries. */
  failures: number;
  created_at: number;
  updated_at: number;
  taken_at: number | null;
  /** Who holds a taken item: a pipeline id, or the name a script gave to `oj queue take`. */
  taken_by: string | null;
  /** The worker whose pipeline holds it, if any. */
  worker: string | null;
  /** While taken: when the item becomes visible again unless completed or failed. */
  visible_at: number | null;
  finished_at: number | null;
  error: string | null;
  /** When a finished or dead item is pruned (its queue's retention). */
  expires_at: number | null;
  /** The last source pull (generation) that listed the item. */
  seen_pull: number | null;
}

export interface QueueAttemptsTable {
  id: Generated<number>;
  item_seq: number;
  attempt: number;
  taken_at: number;
  taken_by: string | null;
  worker: string | null;
  ended_at: number | null;
  outcome: QueueMethods.QueueAttemptInfo['outcome'];
  error: string | null;
}

export interface QueueSourcesTable {
  project: string;
  queue: string;
  /** Generation of the last successful pull. */
  pull_gen: number;
  last_pull_at: number | null;
  last_error: string | null;
}

export interface WorkersTable {
  project: string;
  name: string;
  status: WorkerMethods.WorkerStatus;
  changed_at: number;
  /** When the worker last found nothing to do (null while busy). */
  idle_since: number | null;
  last_wake_at: number | null;
}

export interface CronsTable {
  project: string;
  name: string;
  enabled: number;
  /** The key of the schedule the due slot was planned with ('' never planned; see core/cron Schedule.key). */
  schedule_key: string;
  /** The slot the cron waits for: a slot runs once, in the write that moves this past it. */
  next_due_at: number | null;
  /** `catch_up = "all"`: the last missed slot still to run, or null. */
  catch_up_until: number | null;
  last_run_at: number | null;
  last_outcome: CronMethods.CronOutcome | null;
  last_error: string | null;
  last_pipeline: string | null;
  runs: number;
  changed_at: number;
}

/** A cron slot this host claimed (schema version 16). */
export interface CronSlotsTable {
  project: string;
  cron: string;
  slot_at: number;
  claimed_at: number;
}

/** A change to a shared row decided by a local transaction, not yet applied to the shared store (schema version 16). */
export interface SharedOutboxTable {
  id: Generated<number>;
  /** What the entry changes: a queue item's settlement, or a phase run's release of a lock or semaphore (schema version 17). */
  kind: Generated<'item' | 'release'>;
  /** The queue item's row number in the shared store (0 for a release). */
  seq: number;
  /** JSON: what to apply (the settler reads it). */
  payload: string;
  created_at: number;
}

export interface QueueTables {
  cron_slots: CronSlotsTable;
  shared_outbox: SharedOutboxTable;
  queue_items: QueueItemsTable;
  queue_attempts: QueueAttemptsTable;
  queue_sources: QueueSourcesTable;
  workers: WorkersTable;
  crons: CronsTable;
}
