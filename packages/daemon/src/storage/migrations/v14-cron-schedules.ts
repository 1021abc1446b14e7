/**
 * Schema version 14: calendar crons (issue 24). A cron's due slot is planned
 * with a schedule (an interval or a calendar expression in a zone, with its
 * jitter), recorded by its key, not only by an interval in ms; a cron whose
 * `catch_up = "all"` runs missed slots one after the other keeps the last one
 * still to run (`catch_up_until`). Existing crons keep their interval's key.
 */
import type { Migration } from '../migrations.js';

const raw = (text: string) => ({ compile: () => ({ sql: text }) });

export const cronSchedulesMigration: Migration = {
  version: 14,
  name: 'cron schedules',
  up: (db) => [
    db.schema.alterTable('crons').addColumn('schedule_key', 'text', (c) => c.notNull().defaultTo('')),
    db.schema.alterTable('crons').addColumn('catch_up_until', 'integer'),
    raw(`UPDATE crons SET schedule_key = 'every ' || interval_ms || 'ms' WHERE interval_ms > 0`),
    db.schema.alterTable('crons').dropColumn('interval_ms'),
  ],
};
