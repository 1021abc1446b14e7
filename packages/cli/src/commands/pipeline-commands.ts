/** oj pipeline ...: list, show, logs, transition, resume, cancel, wait, and the script helpers. */
import { PipelineMethods, type PipelineInfo, type ResultOf } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import type { RpcConnection } from '../client/rpc-connection.js';
import { durationOption } from '../output/durations.js';
import { ExitCode, pipelineEndCode } from '../output/exit-codes.js';
import { whenInterrupted } from '../output/interrupt.js';
import { printJson, println } from '../output/print.js';
import { style } from '../output/style.js';
import { field, formatTable, indentBlock } from '../output/table.js';
import { formatAgo, formatDuration } from '../output/time.js';
import { followPipeline } from './pipeline-follow.js';
import { checkLimit } from './limit-option.js';
import { DEFAULT_LIMIT, listPipelines, lookInAllProjects, scope, statusText, waitingText } from './pipeline-list.js';
import { withDaemon } from './run-command.js';

const TERMINAL = ['done', 'failed', 'cancelled'];

export function pipelineCommands(y: Argv): Argv {
  return y
    .option('all-projects', { type: 'boolean', global: true, describe: 'find pipeline ids in every project, not only this one' })
    .middleware((argv) => lookInAllProjects(argv['all-projects'] === true))
    .command(
      ['list', 'ls'],
      'List pipelines (of this project, when in one)',
      (a) =>
        a
          .option('phase', { type: 'string', describe: 'only these phases (comma-separated)' })
          .option('status', { type: 'string', describe: 'only these statuses (comma-separated)' })
          .option('active', { type: 'boolean', describe: 'only pipelines not yet ended' })
          .option('has-session', { type: 'boolean', describe: 'only pipelines with an agent session' })
          .option('archived', { type: 'boolean', describe: 'list archived pipelines instead' })
          .option('all', { type: 'boolean', describe: 'every project, not only this one' })
          .option('limit', { alias: 'n', type: 'number', default: DEFAULT_LIMIT, describe: 'show the newest N (0: all)' })
          .option('json', { type: 'boolean' })
          .check(checkLimit('pipelines')),
      (argv) => listPipelines(argv),
    )
    .command(
      'show <id>',
      'A pipeline: state, phase, what it waits for, runs, errors, history',
      (a) =>
        a
          .positional('id', { type: 'string', demandOption: true })
          .option('phase', { type: 'boolean', describe: 'print only the current phase name' })
          .option('follow', { alias: 'f', type: 'boolean', describe: 'then follow it until it ends' })
          .option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const shown = await conn.call(PipelineMethods.Show, { id: argv.id, ...scope() });
          if (argv.phase) return println(shown.pipeline.phase ?? '');
          if (argv.json) return printJson(shown);
          printPipeline(shown, scope().project);
          if (argv.follow) return followPipeline(conn, { id: shown.pipeline.key }, { output: true, from: { run: 0, offset: 0 } });
        }),
    )
    .command(
      'logs <id>',
      "A pipeline's phase output",
      (a) =>
        a
          .positional('id', { type: 'string', demandOption: true })
          .option('phase', { type: 'string', describe: 'only this phase' })
          .option('follow', { alias: 'f', type: 'boolean', describe: 'keep printing output until the pipeline ends' }),
      (argv) =>
        withDaemon(async (conn) => {
          const { entries } = await conn.call(PipelineMethods.Logs, {
            id: argv.id,
            ...(argv.phase ? { phase: argv.phase } : {}),
            ...scope(),
          });
          for (const e of entries) {
            println(style.dim(`── ${e.phase} (run ${e.run}) ${e.path}`));
            if (e.text) process.stdout.write(e.text.endsWith('\n') ? e.text : e.text + '\n');
          }
          // Go on right after the last byte printed above: nothing twice, nothing skipped.
          const last = entries[entries.length - 1];
          const from = last ? { run: last.run, offset: last.size } : { run: 0, offset: 0 };
          if (argv.follow) return followPipeline(conn, { id: argv.id, ...scope() }, { output: true, quietStatus: true, from });
        }),
    )
    .command(
      'transition <id> <phase>',
      'Move a pipeline to a phase',
      (a) => a.positional('id', { type: 'string', demandOption: true }).positional('phase', { type: 'string', demandOption: true }),
      (argv) => act(argv.id, (conn, id) => conn.call(PipelineMethods.Transition, { id, phase: argv.phase, ...scope() })),
    )
    .command(
      'resume <id>',
      'Run the current phase of a failed, escalated or waiting pipeline again (one that failed before its first phase starts over)',
      (a) => a.positional('id', { type: 'string', demandOption: true }),
      (argv) => act(argv.id, (conn, id) => conn.call(PipelineMethods.Resume, { id, ...scope() })),
    )
    .command(
      'cancel <id>',
      'Cancel a pipeline (its running phase is killed)',
      (a) => a.positional('id', { type: 'string', demandOption: true }).option('reason', { type: 'string' }),
      (argv) =>
        act(argv.id, (conn, id) =>
          conn.call(PipelineMethods.Cancel, { id, ...(argv.reason ? { reason: argv.reason } : {}), ...scope() }),
        ),
    )
    .command(
      'checkpoint <id> [message]',
      'Record progress on a pipeline',
      (a) => a.positional('id', { type: 'string', demandOption: true }).positional('message', { type: 'string', default: '' }),
      (argv) =>
        withDaemon(async (conn) => {
          const { checkpoint } = await conn.call(PipelineMethods.Checkpoint, { id: argv.id, message: argv.message ?? '', ...scope() });
          println(`checkpoint recorded at ${checkpoint.time}`);
        }),
    )
    .command(
      'label <id> <label>',
      'Label a pipeline',
      (a) => a.positional('id', { type: 'string', demandOption: true }).positional('label', { type: 'string', demandOption: true }),
      (argv) => act(argv.id, (conn, id) => conn.call(PipelineMethods.Label, { id, label: argv.label, ...scope() })),
    )
    .command(
      'archive <id>',
      'Hide a finished pipeline from lists',
      (a) => a.positional('id', { type: 'string', demandOption: true }),
      (argv) => act(argv.id, (conn, id) => conn.call(PipelineMethods.Archive, { id, ...scope() })),
    )
    .command(
      'age <id>',
      'Seconds since the pipeline was created (for scripts)',
      (a) => a.positional('id', { type: 'string', demandOption: true }),
      (argv) => scalar(argv.id, (p) => secondsSince(p.createdAt, p.finishedAt)),
    )
    .command(
      'phase-age <id>',
      'Seconds since the current phase started (for scripts)',
      (a) => a.positional('id', { type: 'string', demandOption: true }),
      (argv) => scalar(argv.id, (p) => (p.phaseStartedAt ? secondsSince(p.phaseStartedAt, p.finishedAt) : 0)),
    )
    .command(
      'failure-count <id>',
      'How many times the pipeline has failed (for scripts)',
      (a) => a.positional('id', { type: 'string', demandOption: true }),
      (argv) => scalar(argv.id, (p) => p.failureCount),
    )
    .command(
      'exists',
      'Exit 0 if an active pipeline uses the workspace (or session), else 1',
      (a) => a.option('workspace', { type: 'string' }).option('session', { type: 'string' }),
      (argv) =>
        withDaemon(async (conn) => {
          const r = await conn.call(PipelineMethods.Exists, {
            ...(argv.workspace ? { workspace: argv.workspace } : {}),
            ...(argv.session ? { session: argv.session } : {}),
          });
          if (r.exists) println(r.ids.join('\n'));
          return r.exists ? 0 : 1;
        }),
    )
    .command(
      'wait <ids...>',
      'Wait for pipelines to end: exit 0 done, 1 failed, 4 cancelled, 124 timed out, 3 not found',
      (a) =>
        a
          .positional('ids', { type: 'string', array: true, demandOption: true })
          .option('all', { type: 'boolean', describe: 'wait for every one (default: the first to end)' })
          .option('timeout', { type: 'string', describe: 'give up after this long (e.g. 30s, 5m)' }),
      (argv) => {
        whenInterrupted(`stopped waiting; ${argv.ids.length === 1 ? 'the pipeline goes' : 'the pipelines go'} on (oj pipeline show ID)`);
        return withDaemon(async (conn) => {
          const timeoutMs = durationOption('timeout', argv.timeout);
          const r = await conn.call(PipelineMethods.Wait, {
            ids: argv.ids,
            ...(argv.all ? { all: true } : {}),
            ...(timeoutMs !== undefined ? { timeoutMs } : {}),
            ...scope(),
          });
          for (const x of r.results) println(`${x.id} ${x.status}`);
          if (r.timedOut) return ExitCode.TimedOut;
          // Several ended: the worst of them (failed, then cancelled).
          const codes = r.results.filter((x) => TERMINAL.includes(x.status)).map((x) => pipelineEndCode(x.status));
          if (codes.includes(ExitCode.Failure)) return ExitCode.Failure;
          if (codes.includes(ExitCode.Cancelled)) return ExitCode.Cancelled;
          return ExitCode.Ok;
        });
      },
    )
    .command(
      'prune',
      'Remove finished pipelines, their logs and workspaces',
      (a) =>
        a
          .option('failed', { type: 'boolean', describe: 'also failed pipelines' })
          .option('older-than', { type: 'string', describe: 'only those that ended longer ago than this (e.g. 7d)' })
          .option('dry-run', { type: 'boolean', describe: 'only print what would go' })
          .option('all', { type: 'boolean', describe: 'every project, not only this one' }),
      (argv) =>
        withDaemon(async (conn) => {
          const olderThanMs = durationOption('older-than', argv['older-than']);
          const r = await conn.call(PipelineMethods.Prune, {
            ...(argv.all ? {} : scope()),
            ...(argv.failed ? { failed: true } : {}),
            ...(olderThanMs !== undefined ? { olderThanMs } : {}),
            ...(argv['dry-run'] ? { dryRun: true } : {}),
          });
          const verb = argv['dry-run'] ? 'would prune' : 'pruned';
          println(r.pruned.length ? `${verb} ${r.pruned.length}: ${r.pruned.join(', ')}` : 'nothing to prune');
        }),
    )
    .demandCommand(1, 'say which pipeline command to run (oj pipeline --help lists them)');
}

function secondsSince(iso: string, end: string | null): number {
  return Math.max(0, Math.floor(((end ? Date.parse(end) : Date.now()) - Date.parse(iso)) / 1000));
}

function act(id: string, fn: (conn: RpcConnection, id: string) => Promise<{ pipeline: PipelineInfo }>) {
  return withDaemon(async (conn) => {
    const { pipeline } = await fn(conn, id);
    println(`${pipeline.id}: ${statusText(pipeline)}${pipeline.phase ? ` (phase ${pipeline.phase})` : ''}`);
  });
}

function scalar(id: string, fn: (p: PipelineInfo) => number) {
  return withDaemon(async (conn) => {
    const { pipeline } = await conn.call(PipelineMethods.Show, { id, ...scope() });
    println(String(fn(pipeline)));
  });
}

export { statusText };

/** `here`: the project the lookup was made in (none with --all-projects or outside a project). */
function printPipeline(shown: ResultOf<typeof PipelineMethods.Show>, here: string | undefined): void {
  const p = shown.pipeline;
  println(`${style.bold(p.id)}  ${p.runbook}.${p.kind}  ${statusText(p)}`);
  // A pipeline of another project is shown with its project, and with its key when its id is not unique across projects.
  if (p.project !== here) println(`  project    ${p.project}`);
  if (p.key !== p.id) println(`  key        ${p.key}`);
  println(`  phase      ${p.phase ?? '-'}${p.phaseStartedAt && !p.finishedAt ? ` (for ${formatDuration(Date.now() - Date.parse(p.phaseStartedAt))})` : ''}`);
  println(`  phases     ${p.phases.map((x) => (x === p.phase ? style.bold(`[${x}]`) : x)).join(' → ')}`);
  if (p.waitingFor) println(field('waiting', `for ${waitingText(p.waitingFor)}${p.waitingFor.detail ? `: ${p.waitingFor.detail}` : ''}`));
  if (p.error) println(field('error', style.red(p.error)));
  println(`  created    ${formatAgo(p.createdAt)}${p.finishedAt ? `, ended ${formatAgo(p.finishedAt)}` : ''}`);
  if (p.workspace) println(`  workspace  ${p.workspace}`);
  if (p.label) println(`  label      ${p.label}`);
  const inputs = Object.entries(p.vars).filter(
    ([k, v]) => !['workspace', 'branch', 'pipeline', 'project_root'].includes(k) && !(k === 'name' && v === p.id),
  );
  if (inputs.length) println(`  inputs     ${inputs.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}`);
  if (shown.runs.length) {
    println('\nruns:');
    const runs = formatTable(
      ['run', 'phase', 'status', 'took', 'error'],
      shown.runs.map((r) => [
        String(r.run),
        r.phase,
        r.status,
        r.finishedAt ? formatDuration(Date.parse(r.finishedAt) - Date.parse(r.startedAt)) : '-',
        r.error ?? '',
      ]),
    );
    process.stdout.write(indentBlock(runs, '  '));
  }
  if (shown.checkpoints.length) {
    println('\ncheckpoints:');
    for (const c of shown.checkpoints) println(`  ${formatAgo(c.time)}  ${c.phase ?? ''}  ${c.message}`);
  }
  const recovery = shown.history.filter((e) => e.name.startsWith('action:') || e.name === 'escalate' || e.name.startsWith('session:'));
  if (recovery.length) {
    println('\nrecovery:');
    for (const e of recovery) println(`  ${formatAgo(e.time)}  ${e.name}  ${String(e.data.error ?? e.data.detail ?? '')}`.trimEnd());
  }
}
