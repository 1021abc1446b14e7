/**
 * Schema version 13: an agent session's own report of what it does (issue 20):
 * its state (starting, working, needs_permission, idle, failed, ended) since
 * when, with a message (a permission prompt, a failure's reason); Claude
 * Code's transcript path from its SessionStart hook; the tool uses the
 * `[safety]` hook blocked (JSON, newest last, capped).
 */
import type { Migration } from '../migrations.js';

export const sessionStateMigration: Migration = {
  version: 13,
  name: 'agent session state',
  up: (db) => [
    db.schema.alterTable('sessions').addColumn('state', 'text'),
    db.schema.alterTable('sessions').addColumn('state_since', 'integer'),
    db.schema.alterTable('sessions').addColumn('state_message', 'text'),
    db.schema.alterTable('sessions').addColumn('transcript_path', 'text'),
    db.schema.alterTable('sessions').addColumn('blocked', 'text', (c) => c.notNull().defaultTo('[]')),
  ],
};
