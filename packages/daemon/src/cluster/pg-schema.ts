/**
 * The shared tables in PostgreSQL (cluster mode). Items and attempts carry
 * the host that holds them; `project` is the project's cluster identity
 * (cluster/project-identity.ts), not a local path. Times are epoch ms.
 */
import type { Generated } from 'kysely';
import type { LockMethods } from '@oj/protocol';
import type { ResourceHoldsTable, ResourceWaitersTable } from '../storage/schema-coordination.js';
import type { QueueAttemptsTable, QueueItemsTable, QueueSourcesTable } from '../storage/schema-queues.js';

export interface PgQueueItemsTable extends QueueItemsTable {
  /** The daemon whose taker holds a taken item (null otherwise). */
  host: string | null;
}

export interface PgQueueAttemptsTable extends QueueAttemptsTable {
  host: string | null;
}

export interface PgCronSlotsTable {
  project: string;
  cron: string;
  slot_at: number;
  host: string;
  claimed_at: number;
}

export interface PgHostsTable {
  host: string;
  started_at: number;
  heartbeat_at: number;
  /** Silent longer than this, the host is gone: its taken items go back to their queues. */
  lease_ms: number;
  /** When the host last made its commits durable (group commit). */
  durable_at: number | null;
}

/** A project's leader lease (its cluster identity). Times are the database's clock (epoch ms); term 0: nobody held it yet. */
export interface PgLeasesTable {
  project: string;
  host: string;
  term: number;
  since: number;
  expires_at: number;
}

/** A cluster-wide setting: a worker's `started`/`stopped`, a cron's `enabled`/`disabled`. */
export interface PgSettingsTable {
  kind: 'worker' | 'cron';
  project: string;
  name: string;
  value: string;
  /** Grows with every change of the row: a notice older than what a host applied is ignored. */
  version: number;
  changed_at: number;
  host: string;
}

export interface PgMetaTable {
  key: string;
  value: string;
}

export interface PgResourcesTable {
  kind: LockMethods.ResourceKind;
  project: string;
  resource: string;
}

export interface PgResourceHoldsTable extends ResourceHoldsTable {
  host: string | null;
}

export interface PgResourceWaitersTable extends ResourceWaitersTable {
  host: string | null;
}

/** Every host's events (oj events --cluster; what wakes other hosts' workers and guards). */
export interface PgClusterEventsTable {
  seq: Generated<number>;
  host: string;
  /** The local event log it came from (a host's state dir); with local_id, what makes publishing it twice a no-op. */
  origin: string;
  local_id: number;
  /** The project's cluster identity (null: daemon-wide). */
  project: string | null;
  name: string;
  subject: string | null;
  /** JSON object text. */
  data: string;
  time: number;
}

export interface PgDatabase {
  cluster_events: PgClusterEventsTable;
  resources: PgResourcesTable;
  resource_holds: PgResourceHoldsTable;
  resource_waiters: PgResourceWaitersTable;
  oj_meta: PgMetaTable;
  queue_items: PgQueueItemsTable;
  queue_attempts: PgQueueAttemptsTable;
  queue_sources: QueueSourcesTable;
  cron_slots: PgCronSlotsTable;
  hosts: PgHostsTable;
  leases: PgLeasesTable;
  settings: PgSettingsTable;
}

export type { Generated };
