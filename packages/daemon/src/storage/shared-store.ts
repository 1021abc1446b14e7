/**
 * What daemons share in cluster mode (docs/cluster.md), behind one
 * asynchronous interface with two implementations: SQLite (one host, the
 * default: sqlite-shared-store.ts) and PostgreSQL (cluster/pg-shared-store.ts).
 * Shared: queue items (their attempts and source pulls) and cron slot
 * claims. Pipelines, runs, sessions, escalations, logs and the event log
 * stay in each host's SQLite.
 *
 * The store only reads and writes: every change goes through `change`, which
 * loads one item under a row lock (Postgres: `FOR UPDATE`, the next pending
 * one `FOR UPDATE SKIP LOCKED`), hands it to the caller's `decide` (the shell
 * calling the pure item lifecycle, core/queue) and writes what that returns,
 * in one transaction. A decision's `local` part (events, effects through
 * `storage.afterCommit`) runs inside the same local write on SQLite, and in
 * a local write right after the shared commit on Postgres.
 */
import type { JsonValue, QueueMethods } from '@oj/protocol';
import type { AttemptWrite, ChangeReason } from '../core/queue/item.js';
import type { OrderTerm } from '../core/queue/order.js';
import type { ItemFilter, QueueAttemptRow, QueueItemRow } from './queue-store.js';
import type { ResourceKey } from './resource-store.js';
import type { SharedResources } from './shared-resources.js';

/** A queue's `order` as the runbook states it; each store turns it into its own SQL. */
export interface QueueOrder {
  text: string;
  terms: readonly OrderTerm[];
}

/** The columns the item lifecycle changes. */
export type ItemLifecycleColumns = Pick<
  QueueItemRow,
  'status' | 'attempts' | 'failures' | 'taken_at' | 'taken_by' | 'worker' | 'visible_at' | 'finished_at' | 'error' | 'expires_at' | 'updated_at'
>;

export interface ItemWrite {
  /** Changed columns (null: none). */
  set: Partial<ItemLifecycleColumns> | null;
  /** The item is deleted (its attempts with it). */
  remove: boolean;
  attempts: readonly AttemptWrite[];
}

/** Who should look at a queue again; Postgres tells every host (NOTIFY inside the transaction). */
export interface ItemNotice {
  project: string;
  queue: string;
  reason: ChangeReason;
  worker: string | null;
}

export interface ItemDecision<T> {
  write: ItemWrite | null;
  result: T;
  /** The local writes that go with the change (events, effects); see the file comment. */
  local?: (() => void) | undefined;
  notices?: readonly ItemNotice[] | undefined;
}

/** One item by its row number, or the next pending one of a queue in its order (skipping ones another taker has locked). */
export type ItemTarget = { seq: number } | { next: { project: string; queue: string; order: QueueOrder } };

export interface NewEntry {
  /** Null: the store generates one. */
  id: string | null;
  data: Record<string, unknown>;
}

export interface SourceState {
  pull_gen: number;
  last_pull_at: number | null;
  last_error: string | null;
}

/** What a pull's decision sees of one listed id: its live row and (when none) its newest finished one. */
export interface KnownRows {
  live: QueueItemRow | undefined;
  latest: QueueItemRow | undefined;
}

export interface PullPlan {
  seen: { seq: number; data: string | null }[];
  insert: NewEntry[];
}

export interface Gone {
  project: string;
  queue: string;
  id: string;
  status: QueueItemRow['status'];
}

export interface SharedQueues {
  live(project: string, queue: string, id: string): Promise<QueueItemRow | undefined>;
  latest(project: string, queue: string, id: string): Promise<QueueItemRow | undefined>;
  bySeq(seq: number): Promise<QueueItemRow | undefined>;
  /** Pending first (in queue order when `order` is given), then taken, dead, completed, abandoned. */
  list(f: ItemFilter, order: QueueOrder | null): Promise<QueueItemRow[]>;
  countByStatus(project: string | null, queue?: string): Promise<Record<string, number>>;
  pendingCount(project: string, queue: string): Promise<number>;
  /** Items this host's `worker` holds. */
  takenByWorker(project: string, worker: string): Promise<QueueItemRow[]>;
  /** Projects (of this host) with pending, taken or dead items. */
  projectsWithLiveItems(): Promise<string[]>;
  /** Taken items this host holds (for the reconcile at start). */
  heldHere(): Promise<QueueItemRow[]>;
  /**
   * Taken items whose visibility deadline has passed, this host's and those
   * of hosts gone silent past their lease (Postgres).
   */
  overdue(now: number): Promise<QueueItemRow[]>;
  nextVisibleAt(): Promise<number | null>;
  nextExpiry(): Promise<number | null>;
  attempts(seq: number): Promise<QueueAttemptRow[]>;
  source(project: string, queue: string): Promise<SourceState>;

  /** Adds items, skipping ids that have a live item (duplicates); `local` records the events. */
  add(
    project: string,
    queue: string,
    entries: readonly NewEntry[],
    now: number,
    local: (added: QueueItemRow[], duplicates: string[]) => void,
  ): Promise<{ added: QueueItemRow[]; duplicates: string[] }>;
  /** Loads the target under a row lock, decides, writes: one transaction. */
  change<T>(target: ItemTarget, decide: (row: QueueItemRow | undefined) => ItemDecision<T>): Promise<T>;
  /**
   * A change that belongs to the caller's local write (an item settled by
   * the transaction that ends its pipeline). SQLite applies it inside that
   * write; Postgres records it in the local outbox inside it and applies it
   * after the commit (and at start until applied): at least once, so the
   * settler must be idempotent (the item lifecycle's `heldBy` guard).
   */
  settle(seq: number, payload: JsonValue): void;
  /** How `settle` entries are decided (set once, by the queue service). */
  setSettler(decide: (row: QueueItemRow | undefined, payload: JsonValue) => ItemDecision<void>): void;
  /** Deletes items whose retention has passed. */
  prune(now: number, local: (gone: Gone[]) => void): Promise<Gone[]>;
  /** One successful source pull of `ids`: `decide` says which are seen and which are new; one transaction, pulls of a queue one at a time. */
  recordPull(
    project: string,
    queue: string,
    ids: readonly string[],
    now: number,
    decide: (known: ReadonlyMap<string, KnownRows>, prevGen: number) => PullPlan,
    local: (added: QueueItemRow[], gen: number) => void,
  ): Promise<QueueItemRow[]>;
  /** A failed pull: the error is kept, the generation is not advanced. */
  sourceFailed(project: string, queue: string, at: number, error: string, local: () => void): Promise<void>;
}

export interface SharedCrons {
  /**
   * Claims one slot of a cron (its identity and the slot's time): true for
   * the first daemon to claim it, false for every other (and a repeat).
   */
  claimSlot(project: string, cron: string, slotAt: number, now: number): Promise<boolean>;
  /**
   * The same, done at once inside the caller's transaction, by a store whose
   * claims are writes to the daemon's own database (SQLite): the claim then
   * commits with the step it decides, in one commit.
   */
  claimSlotNow?(project: string, cron: string, slotAt: number, now: number): boolean;
}

export interface HostInfo {
  host: string;
  startedAt: number;
  heartbeatAt: number;
  /** The host is silent past its lease. */
  gone: boolean;
}

export interface SharedStore {
  readonly kind: 'sqlite' | 'postgres';
  /** This daemon's name in the cluster. */
  readonly hostId: string;
  /** A project's name in shared rows, from its local root (SQLite: the root itself). */
  identity(root: string): string;
  readonly queues: SharedQueues;
  readonly crons: SharedCrons;
  readonly resources: SharedResources;
  /** A holder was granted a resource from the line by another host (Postgres; never called on SQLite). */
  onRemoteGrant(cb: (key: ResourceKey, holder: string) => void): () => void;
  /**
   * A change on another host that may concern this one's workers (Postgres;
   * the SQLite store never calls it). Null: notices may have been missed
   * (the listening connection was lost): look at every queue again.
   */
  onRemoteChange(cb: (n: ItemNotice | null) => void): () => void;
  /** Whether the shared database answers (always true for SQLite). */
  readonly reachable: boolean;
  /** The hosts of the cluster (one for SQLite). */
  hosts(): Promise<HostInfo[]>;
  /** Starts background work (heartbeats, listening, the outbox). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export type { ItemFilter, QueueAttemptRow, QueueItemRow, QueueMethods };
