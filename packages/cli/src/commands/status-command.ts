/** oj status: the whole picture at a glance (grows as capabilities land). */
import { DaemonMethods } from '@oj/protocol';
import type { Argv } from 'yargs';
import { printJson, println } from '../output/print.js';
import { printDaemonStatus } from './daemon-commands.js';
import { currentProject, withDaemon } from './run-command.js';

export function statusCommand(y: Argv): Argv {
  return y.command(
    'status',
    'What is running, what is stuck, what needs you',
    (a) => a.option('json', { type: 'boolean', describe: 'machine-readable output' }),
    (argv) =>
      withDaemon(async (conn) => {
        const project = currentProject();
        const s = await conn.call(DaemonMethods.Status, project ? { project } : {});
        if (argv.json) {
          printJson(s);
          return;
        }
        printDaemonStatus(s);
        println(
          `  holds      ${Object.entries(s.counts)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ')}`,
        );
      }),
  );
}
