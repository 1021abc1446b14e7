/**
 * Schema version 19: a pipeline's definition (a snapshot taken when it was
 * created, never rewritten) moves out of its row into a table of its own.
 * SQLite rewrites a whole row when any of its columns changes size, and a
 * pipeline's row changes at every step of its machine (its status, its phase
 * visits...): with a 200-phase definition (~20 KB) in it, each step wrote
 * five or six overflow pages of it to the WAL again, more than everything
 * else the step changes together. Deleting a pipeline deletes its definition
 * (ON DELETE CASCADE).
 */
import type { Migration } from '../migrations.js';

const raw = (text: string) => ({ compile: () => ({ sql: text }) });

export const pipelineDefinitionsMigration: Migration = {
  version: 19,
  name: 'pipeline definitions in a table of their own',
  up: (db) => [
    db.schema
      .createTable('pipeline_definitions')
      .addColumn('pipeline_id', 'text', (c) => c.primaryKey().notNull().references('pipelines.id').onDelete('cascade'))
      .addColumn('definition', 'text', (c) => c.notNull()),
    raw('INSERT INTO pipeline_definitions (pipeline_id, definition) SELECT id, definition FROM pipelines'),
    db.schema.alterTable('pipelines').dropColumn('definition'),
  ],
};
