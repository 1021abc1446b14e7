/**
 * Schema version 15: prompts as decisions, rate limits that wait (issue 20).
 * A session's prompt while it needs permission (JSON `{ kind, text, choices }`:
 * a permission prompt, a plan to approve, a question and its choices); a
 * failed session's reason as oj names it (`rate_limited`, `unauthorized`...)
 * and when its rate limit resets; the prompt an escalation decides.
 */
import type { Migration } from '../migrations.js';

export const agentPromptsMigration: Migration = {
  version: 15,
  name: 'agent prompts and rate limits',
  up: (db) => [
    db.schema.alterTable('sessions').addColumn('state_prompt', 'text'),
    db.schema.alterTable('sessions').addColumn('state_reason', 'text'),
    db.schema.alterTable('sessions').addColumn('state_until', 'integer'),
    db.schema.alterTable('escalations').addColumn('prompt', 'text'),
  ],
};
