/** oj cron ...: list, enable, disable, run. */
import { CronMethods } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import { printJson, println } from '../output/print.js';
import { style } from '../output/style.js';
import { formatTable } from '../output/table.js';
import { formatAgo, formatDue } from '../output/time.js';
import { projectOf, withProjectOption } from './queue-scope.js';
import { withDaemon } from './run-command.js';

type CronInfo = CronMethods.CronInfo;

export function cronCommands(y: Argv): Argv {
  const named = (a: Argv) => a.positional('name', { type: 'string', demandOption: true, describe: 'cron name' }).option('json', { type: 'boolean' });
  return withProjectOption(y)
    .command(
      ['list', 'ls'],
      "The project's crons with their next due time",
      (a) => a.option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const { crons } = await conn.call(CronMethods.List, { project: projectOf(argv) });
          if (argv.json) return printJson(crons);
          if (crons.length === 0) return println('this project defines no crons');
          process.stdout.write(
            formatTable(
              ['cron', 'status', 'interval', 'next', 'last run', 'outcome', 'runs'],
              crons.map((c) => [
                c.name,
                c.enabled ? style.green('enabled') : 'disabled',
                c.interval ?? '-',
                c.nextDueAt ? formatDue(c.nextDueAt) : '-',
                c.lastRunAt ? formatAgo(c.lastRunAt) : '-',
                outcomeText(c),
                String(c.runs),
              ]),
            ),
          );
        }),
    )
    .command(
      'enable <name>',
      'Enable a cron (persisted); the first run is one interval from now',
      (a) => named(a),
      (argv) =>
        withDaemon(async (conn) => {
          const r = await conn.call(CronMethods.Enable, { project: projectOf(argv), name: argv.name });
          if (argv.json) return printJson(r.cron);
          // Freshly enabled, the first run is one interval away (the daemon's promise); said
          // from the interval, not from this process's clock, so it reads the same on any machine.
          const next = !r.cron.nextDueAt ? '' : r.changed && r.cron.interval ? `; next run in ${r.cron.interval}` : `; next run ${formatDue(r.cron.nextDueAt)}`;
          println(`${r.changed ? `cron ${r.cron.name} enabled` : `cron ${r.cron.name} was already enabled`}${next}`);
        }),
    )
    .command(
      'disable <name>',
      'Disable a cron (persisted)',
      (a) => named(a),
      (argv) =>
        withDaemon(async (conn) => {
          const r = await conn.call(CronMethods.Disable, { project: projectOf(argv), name: argv.name });
          if (argv.json) return printJson(r.cron);
          println(r.changed ? `cron ${r.cron.name} disabled` : `cron ${r.cron.name} was not enabled`);
        }),
    )
    .command(
      'run <name>',
      'Run a cron once now (its schedule is unchanged)',
      (a) => named(a),
      (argv) =>
        withDaemon(async (conn) => {
          const r = await conn.call(CronMethods.Run, { project: projectOf(argv), name: argv.name });
          if (argv.json) return printJson(r);
          println(r.pipeline ? `cron ${r.cron.name} started pipeline ${r.pipeline}` : `cron ${r.cron.name} running`);
        }),
    )
    .demandCommand(1, 'say which cron command to run (oj cron --help lists them)');
}

function outcomeText(c: CronInfo): string {
  switch (c.lastOutcome) {
    case 'done':
      return style.green('done');
    case 'failed':
      return style.red(`failed${c.lastError ? `: ${c.lastError.slice(0, 50)}` : ''}`);
    case null:
      return '-';
    default:
      return c.lastOutcome;
  }
}
