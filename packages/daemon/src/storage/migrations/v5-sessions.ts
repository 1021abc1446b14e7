/** Schema version 5: agent sessions. */
import type { Migration } from '../migrations.js';

export const sessionsMigration: Migration = {
  version: 5,
  name: 'agent sessions',
  up: (db) => [
    db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('pipeline_id', 'text')
      .addColumn('phase', 'text')
      .addColumn('run', 'integer')
      .addColumn('agent', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('exit_code', 'integer')
      .addColumn('cwd', 'text', (c) => c.notNull())
      .addColumn('dir', 'text', (c) => c.notNull())
      .addColumn('heartbeat', 'text', (c) => c.notNull())
      .addColumn('restarts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('started_at', 'integer', (c) => c.notNull())
      .addColumn('ended_at', 'integer'),
    db.schema.createIndex('sessions_pipeline').on('sessions').columns(['pipeline_id', 'phase', 'status']),
    db.schema.createIndex('sessions_status').on('sessions').columns(['status']),
  ],
};
