/**
 * The queue item as the lifecycle sees it, and what a transition returns.
 * Pure data: the shell (queues/) loads a row into a `QueueItem`, calls
 * `stepItem`, writes the new state, the attempt records and the events in
 * one transaction, and runs the effects once that has committed.
 */
import type { JsonValue, QueueMethods } from '@oj/protocol';
import type { ExhaustStep } from './exhaust.js';

export type ItemStatus = QueueMethods.QueueItemStatus;
export type AttemptOutcome = QueueMethods.QueueAttemptInfo['outcome'];

export interface QueueItem {
  project: string;
  queue: string;
  id: string;
  status: ItemStatus;
  /** Attempts started (takes); never decreases. */
  attempts: number;
  /** Failed or timed-out attempts since the item was added or last redriven; compared with maxRetries. */
  failures: number;
  takenAt: number | null;
  /** Who holds a taken item: a pipeline id, or the name a script gave to `oj queue take`. */
  takenBy: string | null;
  /** The worker whose pipeline holds it, if any. */
  worker: string | null;
  /** While taken: when the item becomes visible again unless completed or failed. */
  visibleAt: number | null;
  finishedAt: number | null;
  error: string | null;
  /** When a finished or dead item is pruned. */
  expiresAt: number | null;
  updatedAt: number;
}

export interface Duration {
  text: string;
  ms: number;
}

/** A queue's settings, as far as the lifecycle of its items goes. */
export interface ItemSettings {
  maxRetries: number;
  visibilityTimeout: Duration;
  /** How long a finished or dead item is kept. */
  retention: Duration;
  onExhaust: readonly ExhaustStep[];
}

export type ItemEvent =
  /** A taker takes the pending item: `by` is a pipeline id (with its worker) or a script's name. */
  | { type: 'take'; by: string; worker: string | null }
  /** A worker took the item but its pipeline could not even be created: one attempt, failed at once. */
  | { type: 'startFailed'; worker: string; error: string }
  | { type: 'complete' }
  | { type: 'fail'; error: string; outcome: 'failed' | 'timed_out' }
  /** A pipeline that was handed the item (for attempt `attempt`, by `worker`) has ended. */
  | {
      type: 'pipelineEnded';
      /** Its stored key (what the item's takenBy holds). */
      pipeline: string;
      /** Its id in its project, as users see it. */
      handle: string;
      attempt: number;
      worker: string;
      status: 'done' | 'failed' | 'cancelled';
      error: string | null;
      /** It was cancelled because the item's visibility timeout passed. */
      timedOut: boolean;
    }
  /** The visibility deadline of the attempt `attempt` held by `takenBy` has passed. */
  | { type: 'expire'; attempt: number; takenBy: string | null }
  /** In a cluster: the host holding attempt `attempt` (by `takenBy`) stopped heartbeating past its lease. */
  | { type: 'hostLost'; attempt: number; takenBy: string | null; host: string }
  /** After a restart the holding pipeline runs its phase again: a fresh visibility window. */
  | { type: 'refresh' }
  /** Back to pending without counting a failure. `liveTwin`: another live item has the same id. */
  | { type: 'requeue'; liveTwin: boolean }
  /** Straight to the dead letters, whatever retries are left. */
  | { type: 'bury'; reason: string }
  /** A dead item is redriven: pending again with its failures reset. */
  | { type: 'redrive' }
  | { type: 'remove' };

export type EndedOutcome = Exclude<AttemptOutcome, 'running'>;

/** A row of the item's attempt history to write. */
export type AttemptWrite =
  | { type: 'start'; attempt: number; at: number; takenBy: string | null; worker: string | null }
  | { type: 'end'; attempt: number; outcome: EndedOutcome; error: string | null; at: number };

export type ItemEventName =
  | 'queue:item:taken'
  | 'queue:item:completed'
  | 'queue:item:failed'
  | 'queue:item:requeued'
  | 'queue:item:dead'
  | 'queue:item:abandoned'
  | 'queue:item:retried'
  | 'queue:item:removed'
  | 'escalate';

/** An event to record (the shell adds the item's project). */
export interface ItemRecord {
  name: ItemEventName;
  subject: string;
  data: Record<string, JsonValue>;
}

/** Why workers should look at a queue again. */
export type ChangeReason = 'added' | 'released' | 'finished';

/** Things the shell does after the transition has committed. */
export type ItemEffect =
  /** Tell the queue's listeners (the workers): `worker` held the item, if any. */
  | { type: 'notify'; reason: ChangeReason; worker: string | null }
  | { type: 'armVisibility'; at: number }
  | { type: 'armRetention'; at: number }
  | { type: 'cancelPipeline'; pipeline: string; reason: string }
  /** Run a runbook `[action.x]` of `on_exhaust` with the item's fields. */
  | { type: 'runAction'; action: string; error: string }
  | { type: 'log'; level: 'debug' | 'warn'; message: string; fields: Record<string, JsonValue> };

export interface ItemTransition {
  state: QueueItem;
  /** The item is deleted. */
  removed: boolean;
  attempts: AttemptWrite[];
  events: ItemRecord[];
  effects: ItemEffect[];
}

/** A command that does not apply to the item as it is: nothing changes. */
export class ItemRejected extends Error {
  override readonly name = 'ItemRejected';
  constructor(
    message: string,
    readonly status: ItemStatus,
    readonly hint?: string,
  ) {
    super(message);
  }
}
