/** oj lock|semaphore ...: filled in by the coordination capability. */
import type { Argv } from 'yargs';

export function lockCommands(y: Argv): Argv {
  return y;
}
export function semaphoreCommands(y: Argv): Argv {
  return y;
}
