/**
 * Schema version 11: the last number handed out per pipeline id base, so a
 * new id (`build-auth-4001`) is one look-up instead of trying `-2`, `-3`...
 * in turn. A base with no row yet (every base of an older database) is
 * counted from its existing ids the first time it is used.
 */
import type { Migration } from '../migrations.js';

export const pipelineIdCountersMigration: Migration = {
  version: 11,
  name: 'pipeline id counters',
  up: (db) => [
    db.schema
      .createTable('pipeline_id_counters')
      .addColumn('base', 'text', (c) => c.primaryKey())
      .addColumn('last', 'integer', (c) => c.notNull()),
  ],
};
