/** oj escalation list|show|age|bump|resolve|review: what needs a human, and deciding it. */
import { createInterface } from 'node:readline/promises';
import { EscalationMethods, type EscalationInfo } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import type { RpcConnection } from '../client/rpc-connection.js';
import { printJson, println, reportError } from '../output/print.js';
import { style } from '../output/style.js';
import { formatTable } from '../output/table.js';
import { formatAgo } from '../output/time.js';
import { currentProject, withDaemon } from './run-command.js';

const idArg = (a: Argv) => a.positional('id', { type: 'number', demandOption: true, describe: 'escalation number' });

export function escalationCommands(y: Argv): Argv {
  return y
    .command(
      ['list', 'ls'],
      'Escalations (open ones by default)',
      (a) =>
        a
          .option('status', { choices: ['open', 'resolved', 'all'] as const, default: 'open' as const, describe: 'which ones (all: open and resolved)' })
          // --all as in the other lists; --all-projects as it was first spelt.
          .option('all', { alias: 'all-projects', type: 'boolean', describe: 'every project, not only this one' })
          .option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const project = argv.all ? undefined : currentProject();
          const { escalations } = await conn.call(EscalationMethods.List, {
            ...(project ? { project } : {}),
            ...(argv.status !== 'all' ? { status: argv.status } : {}),
          });
          if (argv.json) return printJson(escalations);
          if (!escalations.length) return println(argv.status === 'open' ? 'nothing needs you' : 'no escalations');
          process.stdout.write(
            formatTable(
              ['id', 'pipeline', 'phase', 'source', 'reason', 'raised', 'status'],
              escalations.map((e) => [String(e.id), e.pipeline ?? '-', e.phase ?? '-', e.source, firstLine(e.reason, 60), formatAgo(e.createdAt), e.status]),
            ),
          );
        }),
    )
    .command('show <id>', 'One escalation and its options', (a) => idArg(a).option('json', { type: 'boolean' }), (argv) =>
      withDaemon(async (conn) => {
        const { escalation } = await conn.call(EscalationMethods.Show, { id: argv.id });
        if (argv.json) return printJson(escalation);
        printEscalation(escalation);
      }),
    )
    .command('age <id>', 'Seconds since it was raised (for scripts)', idArg, (argv) =>
      withDaemon(async (conn) => {
        const { escalation } = await conn.call(EscalationMethods.Show, { id: argv.id });
        println(String(Math.floor((Date.now() - Date.parse(escalation.createdAt)) / 1000)));
      }),
    )
    .command('bump <id>', 'Raise it again (notifies again)', idArg, (argv) =>
      withDaemon(async (conn) => {
        const { escalation } = await conn.call(EscalationMethods.Bump, { id: argv.id });
        println(`escalation ${escalation.id} bumped (${escalation.bumps} times)`);
      }),
    )
    .command(
      'resolve <id> [choice]',
      'Decide: an option number or name (allow/deny, approve/reject, a question\'s choice, retry, done, goto, cancel, message, dismiss)',
      (a) =>
        idArg(a)
          .positional('choice', { type: 'string', describe: 'default: dismiss' })
          .option('message', { alias: 'm', type: 'string', describe: 'for message: what to tell the agent' })
          .option('phase', { type: 'string', describe: 'for goto: the phase' })
          .option('note', { type: 'string', describe: 'why (kept with the escalation)' }),
      (argv) =>
        withDaemon(async (conn) => {
          const choice = argv.choice === undefined ? undefined : /^\d+$/.test(argv.choice) ? Number(argv.choice) : argv.choice;
          const r = await conn.call(EscalationMethods.Resolve, {
            id: argv.id,
            ...(choice !== undefined ? { choice } : {}),
            ...(argv.message !== undefined ? { message: argv.message } : {}),
            ...(argv.phase !== undefined ? { phase: argv.phase } : {}),
            ...(argv.note !== undefined ? { note: argv.note } : {}),
          });
          println(`escalation ${r.escalation.id} resolved: ${r.action}`);
        }),
    )
    .command('review', 'Go through open escalations one by one (number, s skip, q quit)', (a) => a, () => withDaemon((conn) => review(conn)))
    .demandCommand(1, 'say which escalation command to run (oj escalation --help lists them)');
}

function printEscalation(e: EscalationInfo): void {
  println(`${style.bold(`escalation ${e.id}`)}  ${e.status === 'open' ? style.yellow('open') : `resolved: ${e.resolution ?? ''}`}`);
  println(`  what      ${e.pipeline ?? '-'}${e.phase ? ` (phase ${e.phase})` : ''}${e.session ? `, session ${e.session}` : ''}`);
  println(`  why       ${e.prompt ? firstLine(e.reason, 200) : e.reason}`);
  println(`  raised    ${formatAgo(e.createdAt)} by ${e.source}${e.bumps ? `, bumped ${e.bumps}x` : ''}`);
  if (e.note) println(`  note      ${e.note}`);
  // The agent's prompt it decides: the plan in full, the question (its choices are the first options).
  if (e.prompt?.kind === 'plan') println(`  plan\n${e.prompt.text.replace(/^/gm, '    ')}`);
  if (e.prompt?.kind === 'question') println(`  question  ${e.prompt.text}${e.prompt.choices.length ? '' : '\n            (answer it at the terminal: oj session attach)'}`);
  for (const o of e.options) println(`  ${style.bold(String(o.number))}) ${o.label}`);
}

/** The first line of a text, at most `max` characters (a table cell). */
function firstLine(text: string, max: number): string {
  const line = text.split('\n')[0]!;
  if (line.length > max) return `${line.slice(0, max - 1)}…`;
  return line === text ? line : `${line} …`;
}

async function review(conn: RpcConnection): Promise<number> {
  const project = currentProject();
  const { escalations } = await conn.call(EscalationMethods.List, { ...(project ? { project } : {}), status: 'open' });
  if (!escalations.length) {
    println('nothing needs you');
    return 0;
  }
  const rl = createInterface({ input: process.stdin, terminal: Boolean(process.stdin.isTTY) });
  // The iterator buffers lines, so answers piped in all at once are not lost between prompts.
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (prompt: string): Promise<string> => {
    process.stdout.write(prompt);
    const next = await lines.next();
    if (next.done) throw new EndOfInput();
    return String(next.value);
  };
  try {
    for (const e of escalations.reverse()) {
      println();
      printEscalation(e);
      for (;;) {
        const answer = (await ask('choice (number, s skip, q quit): ')).trim();
        if (answer === 'q') return 0;
        if (answer === 's' || answer === '') break;
        const n = Number(answer);
        const option = e.options.find((o) => o.number === n);
        if (!option) {
          println(`pick 1-${e.options.length}, s or q`);
          continue;
        }
        const extra: { message?: string; phase?: string } = {};
        if (option.choice === 'message') extra.message = await ask('message to the agent: ');
        if (option.choice === 'goto') extra.phase = (await ask('phase: ')).trim();
        try {
          const r = await conn.call(EscalationMethods.Resolve, { id: e.id, choice: n, ...extra });
          println(style.green(`resolved: ${r.action}`));
          break;
        } catch (err) {
          reportError(err);
        }
      }
    }
  } catch (err) {
    if (!(err instanceof EndOfInput)) throw err;
    println();
  } finally {
    rl.close();
  }
  return 0;
}

class EndOfInput extends Error {}
