/**
 * Schema version 10: a phase run's process group is recorded with its
 * leader's start time, so that a restarted daemon signals the group only
 * while its leader is still the process oj started (pids are reused).
 * Rows from before have none: their groups are left alone where start times
 * can be checked (spawner/process-start.ts).
 */
import type { Migration } from '../migrations.js';

export const pgidStartMigration: Migration = {
  version: 10,
  name: 'phase run process group start time',
  up: (db) => [db.schema.alterTable('phase_runs').addColumn('pgid_start', 'integer')],
};
