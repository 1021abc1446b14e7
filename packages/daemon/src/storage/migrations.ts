/**
 * Versioned schema migrations. The schema version is SQLite's `user_version`;
 * each migration runs with its version bump in one transaction, so a crash
 * mid-migration leaves the previous version intact. A database whose version
 * is newer than this build knows is refused rather than touched.
 */
import type { Kysely } from 'kysely';
import { sql } from './kysely.js';
import type { Database } from './schema.js';
import type { QueryRunner } from './query-runner.js';
import { faultPoint } from '../fault-point.js';
import { coordinationMigration } from './migrations/v4-coordination.js';
import { queuesMigration } from './migrations/v3-queues.js';
import { sessionsMigration } from './migrations/v5-sessions.js';
import { escalationsMigration } from './migrations/v6-escalations.js';
import { pipelineSessionMigration } from './migrations/v7-pipeline-session.js';
import { monitorsMigration } from './migrations/v8-monitors.js';
import { pipelineListingMigration } from './migrations/v9-pipeline-listing.js';
import { pgidStartMigration } from './migrations/v10-pgid-start.js';
import { pipelineIdCountersMigration } from './migrations/v11-pipeline-id-counters.js';
import { pipelineHandlesMigration } from './migrations/v12-pipeline-handles.js';
import { sessionStateMigration } from './migrations/v13-session-state.js';
import { cronSchedulesMigration } from './migrations/v14-cron-schedules.js';
import { agentPromptsMigration } from './migrations/v15-agent-prompts.js';
import { clusterMigration } from './migrations/v16-cluster.js';
import { phaseReleasesMigration } from './migrations/v17-phase-releases.js';
import { queueIndexesMigration } from './migrations/v18-queue-indexes.js';
import { pipelineDefinitionsMigration } from './migrations/v19-pipeline-definitions.js';

export interface Migration {
  version: number;
  name: string;
  /** Statements to run, built with kysely's schema builder. */
  up(db: Kysely<Database>): { compile(): { sql: string } }[];
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'events and meta',
    up: (db) => [
      db.schema
        .createTable('events')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('subject', 'text')
        .addColumn('project', 'text')
        .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('time', 'integer', (c) => c.notNull()),
      db.schema.createIndex('events_name').on('events').columns(['name', 'id']),
      db.schema.createIndex('events_project').on('events').columns(['project', 'id']),
      db.schema.createIndex('events_subject').on('events').columns(['subject', 'id']),
      db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull()),
    ],
  },
  {
    version: 2,
    name: 'pipelines and phase runs',
    up: (db) => [
      db.schema
        .createTable('pipelines')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('runbook', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('phase', 'text')
        .addColumn('run', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('visits', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('recovery', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('waiting_for', 'text')
        .addColumn('error', 'text')
        .addColumn('failure_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('vars', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('workspace', 'text')
        .addColumn('label', 'text')
        .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('owner', 'text')
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .addColumn('phase_started_at', 'integer')
        .addColumn('finished_at', 'integer'),
      db.schema.createIndex('pipelines_project_status').on('pipelines').columns(['project', 'status']),
      db.schema.createIndex('pipelines_status').on('pipelines').columns(['status']),
      db.schema
        .createTable('phase_runs')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
        .addColumn('run', 'integer', (c) => c.notNull())
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('exit_code', 'integer')
        .addColumn('error', 'text')
        .addColumn('pgid', 'integer')
        .addColumn('log_path', 'text')
        .addColumn('started_at', 'integer', (c) => c.notNull())
        .addColumn('finished_at', 'integer'),
      db.schema.createIndex('phase_runs_pipeline').on('phase_runs').columns(['pipeline_id', 'run']),
      db.schema
        .createTable('checkpoints')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
        .addColumn('phase', 'text')
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('time', 'integer', (c) => c.notNull()),
    ],
  },
];

migrations.push(queuesMigration, coordinationMigration, sessionsMigration, escalationsMigration, pipelineSessionMigration, monitorsMigration, pipelineListingMigration, pgidStartMigration, pipelineIdCountersMigration, pipelineHandlesMigration, sessionStateMigration, cronSchedulesMigration, agentPromptsMigration, clusterMigration, phaseReleasesMigration, queueIndexesMigration, pipelineDefinitionsMigration);

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1]?.version ?? 0;

export class SchemaTooNewError extends Error {
  override readonly name = 'SchemaTooNewError';
  constructor(
    readonly found: number,
    readonly supported: number,
    path: string,
  ) {
    super(
      `database ${path} has schema version ${found}, but this ojd understands up to ${supported}: ` +
        `it was written by a newer oj. Upgrade oj, or point OJ_STATE_DIR at another directory.`,
    );
  }
}

export function schemaVersion(runner: QueryRunner): number {
  return runner.sqlite.pragma('user_version', { simple: true }) as number;
}

/** Applies pending migrations; returns the versions applied. */
export function migrate(
  runner: QueryRunner,
  db: Kysely<Database>,
  path: string,
  list: Migration[] = migrations,
): number[] {
  const current = schemaVersion(runner);
  const latest = list[list.length - 1]?.version ?? 0;
  if (current > latest) throw new SchemaTooNewError(current, latest, path);
  const applied: number[] = [];
  for (const m of list) {
    if (m.version <= current) continue;
    runner.transaction(() => {
      for (const stmt of m.up(db)) runner.sqlite.exec(stmt.compile().sql);
      faultPoint(`during-migration:${m.version}`);
      runner.sqlite.pragma(`user_version = ${m.version}`);
      runner.run(
        db
          .insertInto('meta')
          .values({ key: `migration.${m.version}`, value: `${m.name} @ ${new Date().toISOString()}` })
          .onConflict((oc) => oc.column('key').doUpdateSet({ value: sql`excluded.value` })),
      );
    });
    applied.push(m.version);
  }
  return applied;
}
