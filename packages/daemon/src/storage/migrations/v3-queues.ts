/** Schema version 3: queues, queue items and their attempts, workers, crons. */
import { sql } from '../kysely.js';
import type { Migration } from '../migrations.js';

export const queuesMigration: Migration = {
  version: 3,
  name: 'queues, workers and crons',
  up: (db) => [
    db.schema
      .createTable('queue_items')
      .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('queue', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('origin', 'text', (c) => c.notNull().defaultTo('added'))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .addColumn('taken_at', 'integer')
      .addColumn('taken_by', 'text')
      .addColumn('worker', 'text')
      .addColumn('visible_at', 'integer')
      .addColumn('finished_at', 'integer')
      .addColumn('error', 'text')
      .addColumn('expires_at', 'integer')
      .addColumn('seen_pull', 'integer'),
    db.schema.createIndex('queue_items_order').on('queue_items').columns(['project', 'queue', 'status', 'created_at', 'seq']),
    db.schema.createIndex('queue_items_by_id').on('queue_items').columns(['project', 'queue', 'id', 'seq']),
    // Taking is exactly-once per live item: one pending/taken/dead row per id.
    db.schema
      .createIndex('queue_items_live_id')
      .unique()
      .on('queue_items')
      .columns(['project', 'queue', 'id'])
      .where(sql.ref('status'), 'in', sql`('pending', 'taken', 'dead')`),
    db.schema.createIndex('queue_items_visible').on('queue_items').columns(['status', 'visible_at']),
    db.schema.createIndex('queue_items_expires').on('queue_items').columns(['expires_at']),
    db.schema.createIndex('queue_items_worker').on('queue_items').columns(['project', 'worker', 'status']),
    db.schema
      .createTable('queue_attempts')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('item_seq', 'integer', (c) => c.notNull().references('queue_items.seq').onDelete('cascade'))
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('taken_at', 'integer', (c) => c.notNull())
      .addColumn('taken_by', 'text')
      .addColumn('worker', 'text')
      .addColumn('ended_at', 'integer')
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('error', 'text'),
    db.schema.createIndex('queue_attempts_item').on('queue_attempts').columns(['item_seq', 'attempt']),
    db.schema
      .createTable('queue_sources')
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('queue', 'text', (c) => c.notNull())
      .addColumn('pull_gen', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_pull_at', 'integer')
      .addColumn('last_error', 'text')
      .addPrimaryKeyConstraint('queue_sources_pk', ['project', 'queue']),
    db.schema
      .createTable('workers')
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('changed_at', 'integer', (c) => c.notNull())
      .addColumn('idle_since', 'integer')
      .addColumn('last_wake_at', 'integer')
      .addPrimaryKeyConstraint('workers_pk', ['project', 'name']),
    db.schema
      .createTable('crons')
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('interval_ms', 'integer', (c) => c.notNull())
      .addColumn('next_due_at', 'integer')
      .addColumn('last_run_at', 'integer')
      .addColumn('last_outcome', 'text')
      .addColumn('last_error', 'text')
      .addColumn('last_pipeline', 'text')
      .addColumn('runs', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('changed_at', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('crons_pk', ['project', 'name']),
  ],
};
