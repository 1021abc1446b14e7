/**
 * Schema version 9: indexes in listing order (newest first), so that a page
 * of `pipelines.list` reads only the rows it shows instead of sorting every
 * pipeline of the project (and extracting each one's phase names) first.
 */
import type { Migration } from '../migrations.js';

export const pipelineListingMigration: Migration = {
  version: 9,
  name: 'pipeline listing order',
  up: (db) => [
    db.schema.createIndex('pipelines_listing').on('pipelines').columns(['project', 'archived', 'created_at', 'id']),
    db.schema.createIndex('pipelines_listing_all').on('pipelines').columns(['archived', 'created_at', 'id']),
  ],
};
