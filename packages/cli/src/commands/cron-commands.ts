/** oj cron ...: list, next, enable, disable, run. */
import { CronMethods } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import { printJson, println } from '../output/print.js';
import { style } from '../output/style.js';
import { formatTable } from '../output/table.js';
import { formatAgo, formatDue, formatDuration } from '../output/time.js';
import { formatShortTimes, formatZoned } from '../output/zoned-time.js';
import { projectOf, withProjectOption } from './queue-scope.js';
import { withDaemon } from './run-command.js';

type CronInfo = CronMethods.CronInfo;

export function cronCommands(y: Argv): Argv {
  const named = (a: Argv) => a.positional('name', { type: 'string', demandOption: true, describe: 'cron name' }).option('json', { type: 'boolean' });
  return withProjectOption(y)
    .command(
      ['list', 'ls'],
      "The project's crons: schedule, zone, next three run times, last run",
      (a) => a.option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const { crons } = await conn.call(CronMethods.List, { project: projectOf(argv) });
          if (argv.json) return printJson(crons);
          if (crons.length === 0) return println('this project defines no crons');
          process.stdout.write(
            formatTable(
              ['cron', 'status', 'schedule', 'zone', 'next', 'last run', 'outcome', 'runs'],
              crons.map((c) => [
                c.name,
                c.enabled ? style.green('enabled') : 'disabled',
                scheduleText(c),
                c.timezone ?? '-',
                nextText(c),
                c.lastRunAt ? formatAgo(c.lastRunAt) : '-',
                outcomeText(c),
                String(c.runs),
              ]),
            ),
          );
        }),
    )
    .command(
      'next <name>',
      'Upcoming run times of a cron (as if enabled now when it is not), in its zone',
      (a) => named(a).option('count', { type: 'number', default: 5, describe: 'how many (1-1000)' }),
      (argv) =>
        withDaemon(async (conn) => {
          const r = await conn.call(CronMethods.Next, { project: projectOf(argv), name: argv.name, count: argv.count });
          if (argv.json) return printJson(r);
          const timing = r.schedule === null ? `every ${r.interval ?? '?'}` : `${r.schedule} in ${r.timezone ?? 'local time'}`;
          const jitter = r.jitter ? `, jitter ${r.jitter.text} (this cron: +${formatDuration(r.jitter.offsetMs)})` : '';
          const state = r.enabled ? '' : r.schedule === null ? ' (not enabled: its first run is one interval after oj cron enable)' : ' (not enabled: the times it would run)';
          println(`${r.cron}: ${timing}${jitter}${state}`);
          for (const t of r.times) println(`  ${formatZoned(t, r.timezone)}`);
        }),
    )
    .command(
      'enable <name>',
      'Enable a cron (persisted); the first run is one interval from now, or its next calendar slot',
      (a) => named(a),
      (argv) =>
        withDaemon(async (conn) => {
          const r = await conn.call(CronMethods.Enable, { project: projectOf(argv), name: argv.name });
          if (argv.json) return printJson(r.cron);
          // Freshly enabled, an interval cron's first run is one interval away (the daemon's promise); said
          // from the interval, not from this process's clock, so it reads the same on any machine.
          const due = r.cron.nextDueAt;
          const next = !due
            ? ''
            : r.cron.schedule !== null
              ? `; next run ${formatZoned(due, r.cron.timezone)} (${formatDue(due)})`
              : r.changed && r.cron.interval
                ? `; next run in ${r.cron.interval}`
                : `; next run ${formatDue(due)}`;
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

/** `every 30s`, or the expression (with its jitter). */
function scheduleText(c: CronInfo): string {
  if (c.schedule === null) return c.interval ? `every ${c.interval}` : '-';
  return c.jitter ? `${c.schedule} ~${c.jitter.text}` : c.schedule;
}

/** The next three run times in the cron's zone, or "due" while its slot has come. */
function nextText(c: CronInfo): string {
  if (c.nextRuns.length === 0) return '-';
  const [first] = c.nextRuns;
  const times = formatShortTimes(c.nextRuns, c.timezone);
  if (first && formatDue(first) === 'due') times[0] = 'due';
  return times.join(', ');
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
