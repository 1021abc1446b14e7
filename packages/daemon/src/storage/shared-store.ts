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
import type { ClusterEventRecord, EventRecord, JsonValue, QueueMethods } from '@oj/protocol';
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

/** A shared item as the shell sees it: the local row, and (in a cluster) the host that holds it and whether that host is gone. */
export type SharedItemRow = QueueItemRow & { host?: string | null; hostGone?: boolean };

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
  /**
   * The host whose hold of an item this change took back (a visibility
   * timeout the leader carried out, a user's requeue or bury on another
   * host): that host cancels the pipeline that worked it.
   */
  takenFrom?: string | null | undefined;
}

export interface ItemDecision<T> {
  write: ItemWrite | null;
  result: T;
  /** The local writes that go with the change (events, effects); see the file comment. */
  local?: (() => void) | undefined;
  notices?: readonly ItemNotice[] | undefined;
}

/** One item by its row number, or the next pending one of a queue in its order (skipping ones another taker has locked). */
export type ItemTarget = { seq: number } | { next: NextPending };

/** The next pending item of a queue, in its order. */
export interface NextPending {
  project: string;
  queue: string;
  order: QueueOrder;
}

/** Several items by row number (each decided whether found or not), or up to `count` next pending ones of a queue (only those found). */
export type ItemTargets = { seqs: readonly number[] } | { next: NextPending; count: number };

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
  /** Whether any item of the queue is pending (cheaper than counting them). */
  hasPending(project: string, queue: string): Promise<boolean>;
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
  overdue(now: number, only?: readonly string[]): Promise<QueueItemRow[]>;
  /** The next visibility deadline (of the projects `only` names, the ones a cluster host leads; undefined: all). */
  nextVisibleAt(only?: readonly string[]): Promise<number | null>;
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
   * Several changes in one transaction, all or none: the targets are loaded
   * under row locks (the next pending ones skipping those another taker has
   * locked), each decided in turn (`index`: its place among the targets) and
   * written; a `decide` that throws rolls back every one. The decisions'
   * results in target order.
   */
  changeMany<T>(targets: ItemTargets, decide: (row: QueueItemRow | undefined, index: number) => ItemDecision<T>): Promise<T[]>;
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
  /** Deletes items whose retention has passed (of the projects `only` names; undefined: all). */
  prune(now: number, only: readonly string[] | undefined, local: (gone: Gone[]) => void): Promise<Gone[]>;
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
   * Claims one slot of a cron (its identity and the slot's time) and takes
   * the cron's step with the answer: `mine` is true for the first daemon to
   * claim it, false for every other. SQLite claims and steps in one local
   * transaction (a crash cannot keep the claim and lose the step); Postgres
   * steps in a local write right after the claim commits, and a slot a
   * daemon claimed is its own again should it claim it again (after a crash
   * between the two, its next start runs it).
   */
  claimSlot<T>(project: string, cron: string, slotAt: number, now: number, step: (mine: boolean) => T): Promise<T>;
  /** Of `slots`, those another daemon claimed (and so ran): none on one host. */
  claimedElsewhere(project: string, cron: string, slots: readonly number[]): Promise<number[]>;
  /** How long after a slot's time another daemon may still be claiming it (0 on one host; a host lease in a cluster). */
  readonly claimGraceMs: number;
}

/** What a cluster-wide setting is of: a worker (`started`/`stopped`) or a cron (`enabled`/`disabled`). */
export type SettingKind = 'worker' | 'cron';

export interface SharedSetting {
  kind: SettingKind;
  /** The project's local root. */
  project: string;
  name: string;
  value: string;
  /** Grows with every change of the setting: an older one heard late is ignored. */
  version: number;
  changedAt: number;
  /** The host whose command changed it. */
  host: string;
}

/**
 * Workers' started/stopped and crons' enabled/disabled, the same on every
 * host of a project in a cluster (PostgreSQL, keyed by the project's
 * cluster identity): a command on one host is written here and told to the
 * others, which follow it. On one host there is nothing to share.
 */
export interface SharedSettings {
  /** Records a setting and tells the other hosts; the version written (null on one host). */
  set(kind: SettingKind, project: string, name: string, value: string, now: number): Promise<number | null>;
  /** A project's settings (none on one host). */
  list(project: string): Promise<SharedSetting[]>;
  /** Another host changed a setting; null: changes may have been missed (read them again). */
  onChange(cb: (s: SharedSetting | null) => void): () => void;
}

/** The daemon's own event log as the shared store sees it (events/event-log.ts). */
export interface LocalEventFeed {
  /** `deliver` is called once each appended event has committed. */
  follow(f: { deliver(e: EventRecord): void }): () => void;
  /** An event another host recorded: woken are only the followers that listen for other hosts' events. */
  deliverRemote(e: ClusterEventRecord): void;
}

export interface ClusterEventFilter {
  /** Only events after this place in the shared log. */
  since?: number | undefined;
  name?: string | undefined;
  /** A project's local root. */
  project?: string | undefined;
  limit?: number | undefined;
}

/** Every host's events, as the cluster shares them (PostgreSQL only). */
export interface SharedEvents {
  /** Events of every host merged by time (ties: the order they reached the database), oldest first. */
  list(f: ClusterEventFilter): Promise<{ events: ClusterEventRecord[]; lastSeq: number }>;
  /** Deletes shared events older than `before` (ms) and beyond the newest `max`; null: no such limit. Returns how many. */
  prune(before: number | null, max: number | null): Promise<number>;
}

export interface HostInfo {
  host: string;
  startedAt: number;
  heartbeatAt: number;
  /** The host is silent past its lease. */
  gone: boolean;
  /** Its running work: the queue items it holds (taken) and its lock and semaphore holds. */
  items: number;
  holds: number;
}

/** Who leads a project in the cluster (the database's clock). */
export interface LeaderInfo {
  /** The project's cluster identity. */
  project: string;
  host: string;
  term: number;
  since: number;
  expiresAt: number;
  /** False once it lapsed (the next host to beat takes it). */
  held: boolean;
}

/** A change of this host's leadership of a project (its local root), with the events to record (`cluster:leader`, `cluster:resigned`). */
export interface LeadershipChange {
  project: string;
  leads: boolean;
  events: readonly { name: string; data: Record<string, JsonValue> }[];
}

/**
 * Whether this host leads a project in the cluster: only a project's leader
 * runs its sweeps (visibility timeouts, hosts gone silent, other hosts'
 * stale holds, retention), by the project's runbooks. Each project has its
 * own lease, held by one of the hosts that serve it (the queue's rules are
 * in the runbooks of a checkout). A daemon on its own always leads.
 */
export interface Leadership {
  /** Whether this host leads the project (its local root). */
  leads(project: string): boolean;
  /** Whether it leads any project. */
  leadsAny(): boolean;
  /**
   * How often the leader looks again at deadlines other hosts set (an item
   * taken there, a hold acquired there: nothing tells it); null on its own,
   * where every deadline is its own and arms its timers.
   */
  readonly lookEveryMs: number | null;
  onChange(cb: (c: LeadershipChange) => void): () => void;
  /** The leases as stored, one per project (none on its own). */
  info(): Promise<LeaderInfo[]>;
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
  /** Every host's events (null on its own: its event log is all there is). */
  readonly events: SharedEvents | null;
  /**
   * Shares this daemon's events with the other hosts and delivers theirs
   * (PostgreSQL; nothing on SQLite). Call before start().
   */
  shareEvents(feed: LocalEventFeed): void;
  readonly leader: Leadership;
  readonly settings: SharedSettings;
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
  /**
   * Makes every shared commit made so far durable (PostgreSQL commits with
   * `synchronous_commit = off`: group commit). The router calls it before
   * the answer of a request that made a shared commit leaves the daemon.
   * SQLite: nothing to do (local commits are made durable before any
   * output, Storage.makeDurable).
   */
  makeDurable(): Promise<void>;
  /** Starts background work (heartbeats, listening, the outbox). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export type { ItemFilter, QueueAttemptRow, QueueItemRow, QueueMethods };
