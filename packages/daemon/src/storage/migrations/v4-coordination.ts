/** Schema version 4: locks, semaphores, guard waits, strategy attempts. */
import type { Migration } from '../migrations.js';

export const coordinationMigration: Migration = {
  version: 4,
  name: 'locks, semaphores, guards and strategies',
  up: (db) => [
    db.schema
      .createTable('resource_holds')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('resource', 'text', (c) => c.notNull())
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('holder_kind', 'text', (c) => c.notNull())
      .addColumn('weight', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('phase', 'text')
      .addColumn('acquired_at', 'integer', (c) => c.notNull())
      .addColumn('heartbeat_at', 'integer', (c) => c.notNull())
      .addColumn('heartbeat_ms', 'integer', (c) => c.notNull())
      .addColumn('timeout_ms', 'integer')
      .addColumn('stale_at', 'integer')
      .addColumn('stale_reason', 'text')
      .addUniqueConstraint('resource_holds_unique', ['kind', 'project', 'resource', 'holder']),
    db.schema
      .createTable('resource_waiters')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('resource', 'text', (c) => c.notNull())
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('holder_kind', 'text', (c) => c.notNull())
      .addColumn('weight', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('phase', 'text')
      .addColumn('since', 'integer', (c) => c.notNull())
      .addUniqueConstraint('resource_waiters_unique', ['kind', 'project', 'resource', 'holder']),
    db.schema.createIndex('resource_waiters_order').on('resource_waiters').columns(['kind', 'project', 'resource', 'id']),
    db.schema
      .createTable('strategy_runs')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
      .addColumn('phase', 'text', (c) => c.notNull())
      .addColumn('strategy', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('checkpoint', 'text')
      .addColumn('checkpoint_taken', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('exhaust', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('started_at', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull()),
    db.schema.createIndex('strategy_runs_pipeline').on('strategy_runs').columns(['pipeline_id', 'phase', 'status']),
    db.schema
      .createTable('strategy_attempts')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('strategy_run_id', 'integer', (c) => c.notNull().references('strategy_runs.id').onDelete('cascade'))
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('rollback', 'text')
      .addColumn('started_at', 'integer', (c) => c.notNull())
      .addColumn('finished_at', 'integer'),
    db.schema.createIndex('strategy_attempts_run').on('strategy_attempts').columns(['strategy_run_id', 'id']),
    db.schema
      .createTable('guard_waits')
      .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
      .addColumn('phase', 'text', (c) => c.notNull())
      .addColumn('guard', 'text', (c) => c.notNull())
      .addColumn('stage', 'text', (c) => c.notNull())
      .addColumn('started_at', 'integer', (c) => c.notNull())
      .addColumn('checks', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('timeouts', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('last_error', 'text')
      .addPrimaryKeyConstraint('guard_waits_pk', ['pipeline_id', 'phase', 'guard', 'stage']),
  ],
};
