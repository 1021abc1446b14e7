/** Schema version 8: monitor chain state per item. */
import type { Migration } from '../migrations.js';

export const monitorsMigration: Migration = {
  version: 8,
  name: 'monitors',
  up: (db) => [
    db.schema
      .createTable('monitor_items')
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('monitor', 'text', (c) => c.notNull())
      .addColumn('item_key', 'text', (c) => c.notNull())
      .addColumn('step', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('used', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('actions', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_action', 'text')
      .addColumn('last_action_at', 'integer')
      .addColumn('settle_until', 'integer')
      .addColumn('exhausted', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('matched_at', 'integer')
      .addColumn('last_match_at', 'integer')
      .addColumn('seen_at', 'integer', (c) => c.notNull())
      .addColumn('previewed_at', 'integer')
      .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
      .addPrimaryKeyConstraint('monitor_items_pk', ['project', 'monitor', 'item_key']),
  ],
};
