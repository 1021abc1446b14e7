/**
 * The project a queue, worker or cron command acts on: `--project`, else the
 * project of the daemon-run command we are inside (OJ_PROJECT_ROOT: phases
 * may run in a workspace that is a separate checkout), else the project of
 * the current directory.
 */
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { UsageError } from '../output/print.js';
import { currentProject } from './run-command.js';

export function withProjectOption(y: Argv): Argv {
  return y.option('project', { type: 'string', describe: 'project root (default: the project of the current directory)' });
}

export function projectOf(argv: object): string {
  const given = (argv as { project?: unknown }).project;
  if (typeof given === 'string' && given !== '') return resolve(given);
  const fromEnv = process.env.OJ_PROJECT_ROOT;
  if (fromEnv) return fromEnv;
  const here = currentProject();
  if (here) return here;
  throw new UsageError('not inside an oj project (no .oj/ directory here or above); cd into one or pass --project <root>');
}
