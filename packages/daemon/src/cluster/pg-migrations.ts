/**
 * The shared schema's versions. Daemons starting together migrate one at a
 * time (a transaction-scoped advisory lock); each version commits with its
 * bump; a daemon refuses a database whose schema is newer than it knows.
 */
import type { Kysely } from 'kysely';
import { sql } from '../storage/kysely.js';
import type { PgDatabase } from './pg-schema.js';

interface PgMigration {
  version: number;
  name: string;
  statements: string[];
}

export const PG_MIGRATIONS: PgMigration[] = [
  {
    version: 1,
    name: 'queues, cron slots, hosts',
    statements: [
      `CREATE TABLE queue_items (
        seq serial PRIMARY KEY,
        project text NOT NULL, queue text NOT NULL, id text NOT NULL, data text NOT NULL,
        status text NOT NULL, origin text NOT NULL DEFAULT 'added',
        attempts integer NOT NULL DEFAULT 0, failures integer NOT NULL DEFAULT 0,
        created_at bigint NOT NULL, updated_at bigint NOT NULL,
        taken_at bigint, taken_by text, worker text, host text,
        visible_at bigint, finished_at bigint, error text, expires_at bigint, seen_pull integer)`,
      `CREATE INDEX queue_items_order ON queue_items (project, queue, status, created_at, seq)`,
      `CREATE INDEX queue_items_by_id ON queue_items (project, queue, id, seq)`,
      `CREATE UNIQUE INDEX queue_items_live_id ON queue_items (project, queue, id) WHERE status IN ('pending', 'taken', 'dead')`,
      `CREATE INDEX queue_items_visible ON queue_items (status, visible_at)`,
      `CREATE INDEX queue_items_expires ON queue_items (expires_at)`,
      `CREATE INDEX queue_items_worker ON queue_items (project, worker, host, status)`,
      `CREATE TABLE queue_attempts (
        id serial PRIMARY KEY,
        item_seq integer NOT NULL REFERENCES queue_items (seq) ON DELETE CASCADE,
        attempt integer NOT NULL, taken_at bigint NOT NULL, taken_by text, worker text, host text,
        ended_at bigint, outcome text NOT NULL, error text)`,
      `CREATE INDEX queue_attempts_item ON queue_attempts (item_seq, attempt)`,
      `CREATE TABLE queue_sources (
        project text NOT NULL, queue text NOT NULL, pull_gen integer NOT NULL DEFAULT 0,
        last_pull_at bigint, last_error text, PRIMARY KEY (project, queue))`,
      `CREATE TABLE cron_slots (
        project text NOT NULL, cron text NOT NULL, slot_at bigint NOT NULL, host text NOT NULL, claimed_at bigint NOT NULL,
        PRIMARY KEY (project, cron, slot_at))`,
      `CREATE TABLE hosts (host text PRIMARY KEY, started_at bigint NOT NULL, heartbeat_at bigint NOT NULL, lease_ms integer NOT NULL)`,
    ],
  },
  {
    version: 2,
    name: 'locks and semaphores',
    statements: [
      // One row per resource: what a change locks (FOR UPDATE) while it decides.
      `CREATE TABLE resources (kind text NOT NULL, project text NOT NULL, resource text NOT NULL, PRIMARY KEY (kind, project, resource))`,
      `CREATE TABLE resource_holds (
        id serial PRIMARY KEY, kind text NOT NULL, project text NOT NULL, resource text NOT NULL,
        holder text NOT NULL, holder_kind text NOT NULL, weight integer NOT NULL, phase text, host text,
        acquired_at bigint NOT NULL, heartbeat_at bigint NOT NULL, heartbeat_ms bigint NOT NULL, timeout_ms bigint,
        stale_at bigint, stale_reason text,
        UNIQUE (kind, project, resource, holder))`,
      `CREATE TABLE resource_waiters (
        id serial PRIMARY KEY, kind text NOT NULL, project text NOT NULL, resource text NOT NULL,
        holder text NOT NULL, holder_kind text NOT NULL, weight integer NOT NULL, phase text, host text,
        since bigint NOT NULL,
        UNIQUE (kind, project, resource, holder))`,
    ],
  },
  {
    version: 3,
    name: 'shared events; the phase run of a hold',
    statements: [
      // Every host's events, in the order they reached the database (publishers take turns: seq order is commit order).
      `CREATE TABLE cluster_events (
        seq bigserial PRIMARY KEY,
        host text NOT NULL, origin text NOT NULL, local_id bigint NOT NULL,
        project text, name text NOT NULL, subject text, data text NOT NULL, time bigint NOT NULL,
        UNIQUE (origin, local_id))`,
      `CREATE INDEX cluster_events_time ON cluster_events (time, seq)`,
      // A pipeline's hold or place in line names the phase run that took it: a release by an older run changes nothing.
      `ALTER TABLE resource_holds ADD COLUMN run integer`,
      `ALTER TABLE resource_waiters ADD COLUMN run integer`,
    ],
  },
  {
    version: 4,
    name: 'leader lease, cluster-wide settings, durable points',
    statements: [
      // A row per project (its cluster identity): the host that runs its sweeps until expires_at (database time), renewed with its heartbeat.
      `CREATE TABLE leases (project text PRIMARY KEY, host text NOT NULL, term bigint NOT NULL, since bigint NOT NULL, expires_at bigint NOT NULL)`,
      // A worker's started/stopped, a cron's enabled/disabled: the same on every host of a project (its cluster identity).
      `CREATE TABLE settings (
        kind text NOT NULL, project text NOT NULL, name text NOT NULL, value text NOT NULL,
        version bigint NOT NULL, changed_at bigint NOT NULL, host text NOT NULL,
        PRIMARY KEY (kind, project, name))`,
      // What a host's durable commit writes (group commit: see pg-durability.ts).
      `ALTER TABLE hosts ADD COLUMN durable_at bigint`,
    ],
  },
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;

export class PgSchemaTooNewError extends Error {
  override readonly name = 'PgSchemaTooNewError';
}

/** Brings the shared schema up to date; returns the versions applied. */
export async function migratePg(db: Kysely<PgDatabase>, list: PgMigration[] = PG_MIGRATIONS): Promise<number[]> {
  const applied: number[] = [];
  await db.transaction().execute(async (trx) => {
    // Durable before anything uses the schema (the pool's sessions commit without waiting: group commit).
    await sql`SET LOCAL synchronous_commit = on`.execute(trx);
    await sql`SELECT pg_advisory_xact_lock(hashtext('oj schema migrations'))`.execute(trx);
    await sql`CREATE TABLE IF NOT EXISTS oj_meta (key text PRIMARY KEY, value text NOT NULL)`.execute(trx);
    const row = await trx.selectFrom('oj_meta').select('value').where('key', '=', 'schema_version').executeTakeFirst();
    const current = row ? Number(row.value) : 0;
    const latest = list[list.length - 1]?.version ?? 0;
    if (current > latest) {
      throw new PgSchemaTooNewError(
        `the cluster database's schema is version ${current}, newer than this ojd knows (${latest}): upgrade this daemon to the version the other hosts run`,
      );
    }
    for (const m of list) {
      if (m.version <= current) continue;
      for (const s of m.statements) await sql.raw(s).execute(trx);
      applied.push(m.version);
    }
    if (applied.length) {
      await trx
        .insertInto('oj_meta')
        .values({ key: 'schema_version', value: String(latest) })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(latest) }))
        .execute();
    }
  });
  return applied;
}
