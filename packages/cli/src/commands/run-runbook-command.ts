/**
 * oj run <command> [args...]: runs a runbook command. Its arguments are bound
 * by the daemon against the command's `args` (so the grammar lives in one
 * place). oj's own flags (--wait, --follow, --json, --help) are read anywhere
 * before a `--`; everything else belongs to the command.
 */
import { CommandMethods, ErrorCode, OjError } from '@oj/protocol/client';
import { connectOrStart } from '../client/daemon-launcher.js';
import type { RpcConnection } from '../client/rpc-connection.js';
import { whenInterrupted } from '../output/interrupt.js';
import { ExitCode, NotFoundError, printJson, println, reportError } from '../output/print.js';
import { style } from '../output/style.js';
import { formatTable } from '../output/table.js';
import { followPipeline } from './pipeline-follow.js';
import { currentProject } from './run-command.js';

const OWN_FLAGS = new Set(['--wait', '--follow', '--json', '--help', '-h']);

const ENV_BASICS = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LC_[A-Z]+|TERM|TZ|TMPDIR|COLORTERM|NO_COLOR)$/;

export const RUN_USAGE = `Usage: oj run <command> [args...] [--wait] [--follow] [--json]

Runs a command from this project's runbooks (.oj/runbooks/*.toml).
With no command, lists them. \`oj run <command> --help\` shows its arguments.

  --wait     for a pipeline command: wait for it to end; exit 0 done, 1 failed,
             4 cancelled (Ctrl-C: 130, and the pipeline goes on)
  --follow   like --wait, printing phase changes and output as they happen
  --json     print the result as JSON; a stream (a shell command's output,
             --wait, --follow) as one JSON object per line

A shell command exits with its own status.
`;

export async function runCommand(argv: string[]): Promise<number> {
  const own = new Set<string>();
  const rest: string[] = [];
  let passthrough = false;
  for (const a of argv) {
    if (!passthrough && a === '--') {
      passthrough = true;
      rest.push(a);
    } else if (!passthrough && OWN_FLAGS.has(a)) own.add(a === '-h' ? '--help' : a);
    else rest.push(a);
  }
  const [name, ...args] = rest;
  if ((!name || name === '--') && own.has('--help')) {
    process.stdout.write(RUN_USAGE);
    return 0;
  }
  const project = currentProject();
  if (!project) {
    process.stderr.write(`${style.red('error', process.stderr)}: no .oj/ directory here or above ${process.cwd()}\nhint: oj init creates one\n`);
    return ExitCode.Usage;
  }
  let conn: RpcConnection | null = null;
  try {
    conn = await connectOrStart();
    if (!name || name === '--') {
      return await listCommands(conn, project, own.has('--json'));
    }
    if (own.has('--help')) return await commandHelp(conn, project, name);
    return await run(conn, project, name, args, own);
  } catch (err) {
    if (err instanceof OjError && err.code === ErrorCode.BadArguments) {
      process.stderr.write(`${style.red('error', process.stderr)}: ${err.message}\n`);
      if (typeof err.data.hint === 'string') process.stderr.write(`hint: ${err.data.hint}\n`);
      if (typeof err.data.usage === 'string') process.stderr.write(`\n${err.data.usage}\n`);
      return ExitCode.Usage;
    }
    return reportError(err);
  } finally {
    conn?.close();
  }
}

/**
 * The variables of this environment the command passes through (its runbook's
 * `env` lists name them; commands.list says which): only those are sent.
 */
async function offeredEnv(conn: RpcConnection, project: string, name: string): Promise<Record<string, string> | null> {
  const { commands } = await conn.call(CommandMethods.List, { project });
  const names = commands.find((c) => c.name === name)?.env ?? [];
  if (names.length === 0) return null;
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = process.env[n];
    if (v !== undefined) out[n] = v;
  }
  return out;
}

async function listCommands(conn: RpcConnection, project: string, json: boolean): Promise<number> {
  const { commands, errors } = await conn.call(CommandMethods.List, { project });
  if (json) {
    printJson({ commands, errors });
    return errors.length ? 1 : 0;
  }
  if (commands.length === 0) println('no commands defined in .oj/runbooks/*.toml');
  else process.stdout.write(formatTable(['command', 'usage', 'description'], commands.map((c) => [c.name, c.usage, c.description ?? ''])));
  for (const e of errors) process.stderr.write(`${style.yellow('warning', process.stderr)}: ${e}\n`);
  return 0;
}

/** `oj run <command> --help`: usage, description, arguments and options. */
async function commandHelp(conn: RpcConnection, project: string, name: string): Promise<number> {
  const { commands } = await conn.call(CommandMethods.List, { project });
  const c = commands.find((x) => x.name === name);
  if (!c) {
    const { didYouMean } = await import('@oj/daemon/did-you-mean');
    const names = commands.map((x) => x.name);
    throw new NotFoundError(`command not found: ${name}`, didYouMean(name, names) ?? (names.length ? `commands: ${names.join(', ')}` : 'this project defines no commands'));
  }
  println(c.help);
  return 0;
}

async function run(conn: RpcConnection, project: string, name: string, args: string[], own: Set<string>): Promise<number> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && ENV_BASICS.test(k)) env[k] = v;
  const json = own.has('--json');
  const passEnv = await offeredEnv(conn, project, name);
  // A shell command's output as it comes; with --json one line each: {"kind":"output","stream":"stdout","data":"..."}.
  conn.onNotification(CommandMethods.Output, ({ stream, data }) => {
    if (json) conn.writeThrough(process.stdout, JSON.stringify({ kind: 'output', stream, data }) + '\n');
    else conn.writeThrough(stream === 'stderr' ? process.stderr : process.stdout, data);
  });
  // Ctrl-C ends oj with 130 (output/interrupt.ts); the daemon stops a shell command whose client went away.
  whenInterrupted(`interrupted; ojd stops ${name}`);
  const r = await conn.call(CommandMethods.Run, { project, command: name, args, cwd: process.cwd(), env, ...(passEnv ? { passEnv } : {}) });
  if (r.kind === 'shell') {
    if (json) println(JSON.stringify({ kind: 'exit', exitCode: r.exitCode, signal: r.signal }));
    return r.exitCode;
  }
  const p = r.pipeline;
  const waits = own.has('--wait') || own.has('--follow');
  whenInterrupted(`stopped waiting; ${p.id} goes on (oj pipeline show ${p.id})`);
  if (json && !waits) printJson(p);
  else if (!json) println(p.id);
  // With --json, a wait is a stream of lines that each carry the pipeline, the first as it was created (pipeline-follow.ts).
  const first = json ? { first: p } : {};
  // All of its output from the start: what it printed before the follow began too.
  if (own.has('--follow')) return followPipeline(conn, { id: p.key }, { output: true, from: { run: 0, offset: 0 }, json, ...first });
  if (own.has('--wait')) return followPipeline(conn, { id: p.key }, { output: false, json, ...first });
  return 0;
}
