/** Schema version 4: locks, semaphores, guard waits, strategy attempts. */
import type { Migration } from '../migrations.js';

export const coordinationMigration: Migration = {
  version: 4,
  name: 'locks, semaphores, guards and strategies',
  up: () => [],
};
