/**
 * Schema version 17 (cluster mode, issue 18): a pipeline's hold or place in
 * line of a lock or semaphore names the phase run that took it (a release by
 * an earlier run changes nothing: releases go through the outbox, at least
 * once), and the outbox says what each entry changes (a queue item's
 * settlement, or a phase run's release).
 */
import type { Migration } from '../migrations.js';

export const phaseReleasesMigration: Migration = {
  version: 17,
  name: 'phase runs of holds; outbox entry kinds',
  up: (db) => [
    db.schema.alterTable('resource_holds').addColumn('run', 'integer'),
    db.schema.alterTable('resource_waiters').addColumn('run', 'integer'),
    db.schema.alterTable('shared_outbox').addColumn('kind', 'text', (c) => c.notNull().defaultTo('item')),
  ],
};
