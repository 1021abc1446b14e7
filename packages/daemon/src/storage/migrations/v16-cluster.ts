/**
 * Schema version 16 (cluster mode, issue 18): the cron slots this host
 * claimed (a slot is a cron's identity and the slot's time, so each runs
 * once however the schedule is written), and the outbox of changes to
 * shared rows that a local transaction decided (applied to the shared
 * store after the commit; used only with a Postgres store).
 */
import type { Migration } from '../migrations.js';

export const clusterMigration: Migration = {
  version: 16,
  name: 'cron slots and the shared outbox',
  up: (db) => [
    db.schema
      .createTable('cron_slots')
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('cron', 'text', (c) => c.notNull())
      .addColumn('slot_at', 'integer', (c) => c.notNull())
      .addColumn('claimed_at', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('cron_slots_pk', ['project', 'cron', 'slot_at']),
    db.schema
      .createTable('shared_outbox')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('created_at', 'integer', (c) => c.notNull()),
  ],
};
