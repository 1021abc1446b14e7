/** Schema version 6: escalations. */
import type { Migration } from '../migrations.js';

export const escalationsMigration: Migration = {
  version: 6,
  name: 'escalations',
  up: (db) => [
    db.schema
      .createTable('escalations')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('pipeline_id', 'text')
      .addColumn('session_id', 'text')
      .addColumn('phase', 'text')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('event_id', 'integer')
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('bumped_at', 'integer')
      .addColumn('bumps', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('resolved_at', 'integer')
      .addColumn('resolution', 'text')
      .addColumn('note', 'text'),
    db.schema.createIndex('escalations_status').on('escalations').columns(['status', 'project']),
    db.schema.createIndex('escalations_pipeline').on('escalations').columns(['pipeline_id', 'status']),
  ],
};
