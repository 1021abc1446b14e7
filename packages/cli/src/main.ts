/**
 * `oj`: a thin client. Each command turns its arguments into RPC calls to
 * ojd and prints the results as tables or --json. Exit codes: one table for
 * every command, in output/exit-codes.ts (0 ok, 1 failed, 2 usage error,
 * 3 not found, 4 cancelled, 124 timed out, 130 interrupted).
 */
import { OJ_VERSION } from '@oj/protocol/client';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { daemonCommands } from './commands/daemon-commands.js';
import { emitCommand, eventsCommand } from './commands/event-commands.js';
import { statusCommand } from './commands/status-command.js';
import { pipelineCommands } from './commands/pipeline-commands.js';
import { runCommand } from './commands/run-runbook-command.js';
import { serviceCommands } from './service/index.js';
import { cronCommands, queueCommands, workerCommands } from './commands/queue-commands.js';
import { lockCommands, semaphoreCommands } from './commands/coordination-commands.js';
import { checkpointCommand, doneCommand, sessionCommands } from './commands/session-commands.js';
import { initCommand, runbookCommands } from './commands/runbook-commands.js';
import { workspaceCommands } from './commands/workspace-commands.js';
import { escalationCommands } from './commands/escalation-commands.js';
import { uiCommand } from './commands/ui-command.js';
import { COMPLETION_FLAG, completion, completionRequests } from './commands/completion.js';
import { completionEnv } from './commands/completion-scripts.js';
import { ExitCode } from './output/print.js';
import { knownOptions, notANumber, optionSuggestions } from './commands/usage-checks.js';
import { helpWidth, wrapHelp } from './output/help-wrap.js';

export async function main(argv: string[] = hideBin(process.argv)): Promise<void> {
  // `oj run` takes the runbook command's own arguments verbatim: yargs must not parse them.
  if (argv[0] === 'run') {
    process.exitCode = await runCommand(argv.slice(1));
    return;
  }
  await withHelpWrapped(() => buildCli(argv).parseAsync());
}

/**
 * yargs prints help, usage errors and the version with console.log/error
 * (oj's own commands write to the streams directly): for the parse, those
 * are wrapped to the terminal's width between words (output/help-wrap.ts).
 */
async function withHelpWrapped<T>(parse: () => Promise<T>): Promise<T> {
  const { log, error } = console;
  const wrapped = (write: (...args: unknown[]) => void, stream: NodeJS.WriteStream) =>
    (...args: unknown[]) => write(...args.map((a) => (typeof a === 'string' ? wrapHelp(a, helpWidth(stream)) : a)));
  console.log = wrapped(log, process.stdout);
  console.error = wrapped(error, process.stderr);
  try {
    return await parse();
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** The whole command tree (also used to generate docs/cli.md and shell completion). */
export function buildCli(argv: string[]): Argv {
  const completing = argv.includes(COMPLETION_FLAG);
  if (completing) completionEnv();
  // One instance: yargs resets it for each nested command, so at a failure it has the failing command's options.
  const instance = yargs(argv);
  let cli = instance
    .scriptName('oj')
    .usage('oj: run unattended work from declarative runbooks\n\nUsage: $0 <command> [options]')
    .version(OJ_VERSION)
    // yargs' completion mode passes its own flag through nested commands: strictness would reject it.
    .strict(!completing)
    .recommendCommands()
    // Laid out unwrapped; wrapHelp wraps it between words (yargs' own wrap cuts words).
    .wrap(null)
    .command('daemon', 'Manage the ojd daemon', (y) => serviceCommands(daemonCommands(y)))
    .command('run <command> [args..]', 'Run a runbook command (oj run --help)', (y) => y)
    .command('pipeline', 'Inspect and steer pipelines', (y) => pipelineCommands(y))
    .command('queue', 'Work items: add, take, complete, dead letters', (y) => queueCommands(y))
    .command('worker', 'Queue workers: start, stop, wake', (y) => workerCommands(y))
    .command('cron', 'Scheduled runs: enable, disable, run now', (y) => cronCommands(y))
    .command('lock', 'Exclusive locks', (y) => lockCommands(y))
    .command('semaphore', 'Counting semaphores', (y) => semaphoreCommands(y))
    .command('session', 'Agent sessions: look, type, nudge, attach', (y) => sessionCommands(y))
    .command('escalation', 'What needs a human: list, review, resolve', (y) => escalationCommands(y))
    .command('workspace', 'Git worktrees pipelines work in', (y) => workspaceCommands(y))
    .command('runbook', 'Check, list and show runbooks (no daemon needed)', (y) => runbookCommands(y))
    // English messages whatever the locale: optionSuggestions reads them.
    .detectLocale(false)
    .check((a) => notANumber(a, argv) ?? true)
    .fail((msg, err, y) => {
      // A failed .check() passes its message as `err` too: that is a usage error like the others.
      if (err instanceof Error) throw err;
      y.showHelp('error');
      process.stderr.write(`\n${[msg, ...optionSuggestions(msg, knownOptions(instance))].join('\n')}\n`);
      process.exit(ExitCode.Usage);
    })
    .demandCommand(1, 'say which command to run (oj --help lists them)');
  cli = statusCommand(cli);
  cli = emitCommand(cli);
  cli = eventsCommand(cli);
  cli = doneCommand(cli);
  cli = initCommand(cli);
  cli = checkpointCommand(cli);
  cli = uiCommand(cli);
  cli = completion(cli);
  if (completing) cli = completionRequests(cli, argv);
  return cli.help().alias('help', 'h');
}
