/** oj queue|worker|cron ...: filled in by the queues capability. */
import type { Argv } from 'yargs';

export function queueCommands(y: Argv): Argv {
  return y;
}
export function workerCommands(y: Argv): Argv {
  return y;
}
export function cronCommands(y: Argv): Argv {
  return y;
}
