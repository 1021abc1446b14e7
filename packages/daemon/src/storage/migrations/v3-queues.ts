/** Schema version 3: queues, queue items, workers, crons. */
import type { Migration } from '../migrations.js';

export const queuesMigration: Migration = {
  version: 3,
  name: 'queues, workers and crons',
  up: () => [],
};
