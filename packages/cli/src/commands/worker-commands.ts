/** oj worker ...: list, show, start, stop, restart, wake, healthy. */
import { WorkerMethods } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import { printJson, println } from '../output/print.js';
import { style } from '../output/style.js';
import { formatTable } from '../output/table.js';
import { formatAgo } from '../output/time.js';
import { projectOf, withProjectOption } from './queue-scope.js';
import { withDaemon } from './run-command.js';

type WorkerInfo = WorkerMethods.WorkerInfo;

export function workerCommands(y: Argv): Argv {
  const named = (a: Argv) => a.positional('name', { type: 'string', demandOption: true, describe: 'worker name' }).option('json', { type: 'boolean' });
  return withProjectOption(y)
    .command(
      ['list', 'ls'],
      "The project's workers",
      (a) => a.option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const { workers } = await conn.call(WorkerMethods.List, { project: projectOf(argv) });
          if (argv.json) return printJson(workers);
          if (workers.length === 0) return println('this project defines no workers');
          process.stdout.write(
            formatTable(
              ['worker', 'status', 'queue', 'handler', 'running', 'pending', 'idle', 'since'],
              workers.map((w) => [
                w.name,
                statusText(w),
                w.queue ?? '-',
                w.handler ?? '-',
                `${w.running}/${w.concurrency}`,
                String(w.pending),
                w.status === 'started' ? (w.idleSince ? `idle ${formatAgo(w.idleSince).replace(/ ago$/, '')}` : 'busy') : '-',
                w.changedAt ? formatAgo(w.changedAt) : '-',
              ]),
            ),
          );
        }),
    )
    .command(
      'show <name>',
      'One worker',
      (a) => named(a),
      (argv) =>
        withDaemon(async (conn) => {
          const { worker } = await conn.call(WorkerMethods.Show, { project: projectOf(argv), name: argv.name });
          if (argv.json) return printJson(worker);
          printWorker(worker);
        }),
    )
    .command(
      'start <name>',
      'Start a worker (it starts again with the daemon until stopped)',
      (a) => named(a),
      (argv) =>
        withDaemon(async (conn) => {
          const r = await conn.call(WorkerMethods.Start, { project: projectOf(argv), name: argv.name });
          if (argv.json) return printJson(r.worker);
          println(r.changed ? `worker ${r.worker.name} started` : `worker ${r.worker.name} was already started`);
        }),
    )
    .command(
      'stop <name>',
      'Stop taking new items (pipelines under way finish)',
      (a) => named(a),
      (argv) =>
        withDaemon(async (conn) => {
          const r = await conn.call(WorkerMethods.Stop, { project: projectOf(argv), name: argv.name });
          if (argv.json) return printJson(r.worker);
          const running = r.worker.running ? ` (${r.worker.running} pipeline${r.worker.running === 1 ? '' : 's'} still finishing)` : '';
          println(r.changed ? `worker ${r.worker.name} stopped${running}` : `worker ${r.worker.name} was not started`);
        }),
    )
    .command(
      'restart <name>',
      'Stop and start a worker',
      (a) => named(a),
      (argv) =>
        withDaemon(async (conn) => {
          const { worker } = await conn.call(WorkerMethods.Restart, { project: projectOf(argv), name: argv.name });
          if (argv.json) return printJson(worker);
          println(`worker ${worker.name} restarted`);
        }),
    )
    .command(
      'wake <name>',
      'Wake a worker now (re-pulls a source queue); a stopped worker is started',
      (a) => named(a),
      (argv) =>
        withDaemon(async (conn) => {
          const { worker, started } = await conn.call(WorkerMethods.Wake, { project: projectOf(argv), name: argv.name });
          if (argv.json) return printJson(worker);
          println(started ? `worker ${worker.name} started (it was stopped)` : `worker ${worker.name} woken`);
        }),
    )
    .command(
      'healthy <name>',
      'Exit 0 if the worker is started and nothing is wrong with it, else print why and exit 1',
      (a) => named(a),
      (argv) =>
        withDaemon(async (conn) => {
          const r = await conn.call(WorkerMethods.Healthy, { project: projectOf(argv), name: argv.name });
          if (argv.json) printJson(r);
          else if (r.healthy) println(`worker ${r.worker.name} is healthy`);
          else for (const p of r.problems) println(p);
          return r.healthy ? 0 : 1;
        }),
    )
    .demandCommand(1, 'say which worker command to run (oj worker --help lists them)');
}

function statusText(w: WorkerInfo): string {
  if (w.status === 'started') return style.green('started');
  if (w.status === 'missing') return style.red('missing');
  return 'stopped';
}

function printWorker(w: WorkerInfo): void {
  println(`${style.bold(w.name)}  ${statusText(w)}${w.runbook ? `  (${w.runbook}.toml)` : ''}`);
  println(`  queue        ${w.queue ?? '-'} (${w.pending} pending)`);
  println(`  handler      ${w.handler ?? '-'}`);
  println(`  running      ${w.running}/${w.concurrency}${w.pipelines.length ? `: ${w.pipelines.join(', ')}` : ''}`);
  println(`  idle action  ${w.idleAction ?? '-'}`);
  if (w.wakeOn.length) println(`  wake on      ${w.wakeOn.join(', ')}`);
  if (w.idleSince) println(`  idle since   ${formatAgo(w.idleSince)}`);
  if (w.lastWakeAt) println(`  last wake    ${formatAgo(w.lastWakeAt)}`);
  if (w.changedAt) println(`  ${w.status === 'stopped' ? 'stopped' : 'started'}      ${formatAgo(w.changedAt)}`);
}
