/** Schema version 7: the agent session a pipeline's current phase runs. */
import type { Migration } from '../migrations.js';

export const pipelineSessionMigration: Migration = {
  version: 7,
  name: 'pipeline session',
  up: (db) => [db.schema.alterTable('pipelines').addColumn('session', 'text')],
};
