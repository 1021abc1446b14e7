/**
 * Shell completion: `oj completion bash|zsh|fish` prints that shell's script
 * (completion-scripts.ts); each calls back into `oj --get-yargs-completions`,
 * answered here. Besides commands, options and their values (from the yargs
 * command tree) it completes runbook command names after `oj run`, and
 * pipeline and session ids, asked of the daemon (only when one is already
 * running: completing never starts it).
 */
import { CommandMethods, PIPELINE_STATUSES, PipelineMethods, SessionMethods } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import { daemonLocation, tryConnect } from '../client/daemon-launcher.js';
import { UsageError } from '../output/print.js';
import { SHELLS, askingShell, bareWord, completionScript, fromYargs, type Shell } from './completion-scripts.js';
import { currentProject, locally } from './run-command.js';

type Done = (completions: string[]) => void;
type Filter = (onCompleted?: (err: unknown, completions: string[]) => void) => void;

const PIPELINE_ID_COMMANDS = new Set(['show', 'logs', 'transition', 'resume', 'cancel', 'checkpoint', 'label', 'archive', 'age', 'phase-age', 'failure-count', 'wait']);
const SESSION_ID_COMMANDS = new Set(['show', 'idle-time', 'alive', 'capture', 'send', 'nudge', 'kill', 'attach', 'wait']);

type DaemonQuery = 'commands' | 'pipelines' | 'sessions';

/** Which of its lists the daemon has the next word in, after `words` (settled words, oj left out). */
function daemonQuery(words: string[]): DaemonQuery | null {
  const [top, sub] = words;
  if (top === 'run' && words.length === 1) return 'commands';
  if (top === 'pipeline' && sub !== undefined && PIPELINE_ID_COMMANDS.has(sub) && words.length === 2) return 'pipelines';
  if (top === 'session' && sub !== undefined && SESSION_ID_COMMANDS.has(sub) && words.length === 2) return 'sessions';
  return null;
}

/** Values of an option yargs does not know as choices (it takes several, comma-separated), after `words` (settled words as typed). */
function optionValues(words: string[]): readonly string[] | null {
  const [, top, sub] = words;
  if (top === 'pipeline' && (sub === 'list' || sub === 'ls') && words[words.length - 1] === '--status') return PIPELINE_STATUSES;
  return null;
}

async function fromDaemon(query: DaemonQuery): Promise<string[]> {
  const conn = await tryConnect(daemonLocation()).catch(() => null);
  if (!conn) return [];
  try {
    const project = currentProject();
    if (query === 'commands') {
      if (!project) return [];
      return (await conn.call(CommandMethods.List, { project })).commands.map((c) => c.name);
    }
    // No limit: every id completes, not only the newest page `oj pipeline list` shows.
    if (query === 'pipelines') return (await conn.call(PipelineMethods.List, project ? { project } : {})).pipelines.map((p) => p.id);
    return (await conn.call(SessionMethods.List, project ? { project } : {})).sessions.map((s) => s.id);
  } catch {
    return [];
  } finally {
    conn.close();
  }
}

/** The flag the scripts call back with (yargs' own name for it). */
export const COMPLETION_FLAG = '--get-yargs-completions';

/** Answers a completion request (only registered when argv has COMPLETION_FLAG: see main.ts). */
export function completionRequests(y: Argv, argv: readonly string[]): Argv {
  // The words as typed (options included), oj first, the one being completed last.
  const typed = argv.slice(argv.indexOf(COMPLETION_FLAG) + 1);
  const shell = askingShell();
  // yargs registers its completion function with a command of its own, which it then
  // special-cases; this one is hidden and never typed (`oj completion` is ours, below).
  return y.completion('__complete', false, ((current: string, argv: { _: (string | number)[] }, filter: Filter, done: Done) => {
    if (process.env.OJ_DEBUG_COMPLETION) process.stderr.write(JSON.stringify({ current, _: argv._ }) + '\n');
    const words = argv._.map(String).filter((w, i) => !(i === 0 && w === 'oj'));
    // the last word is the one being completed (possibly empty)
    const settled = words.slice(0, -1);
    const matching = (list: readonly string[]) => list.filter((x) => x.startsWith(current)).map((x) => bareWord(x, shell));
    const values = optionValues(typed.slice(0, -1));
    if (values) return done(matching(values));
    const query = daemonQuery(settled);
    // From the command tree: answered at once, before yargs goes on to validate the words so far.
    if (!query) return filter((_err, list) => done(list.map((x) => fromYargs(x, shell))));
    void fromDaemon(query).then((ids) => done(matching(ids)));
  }) as never);
}

/** `oj completion [shell]`: the script for the named shell (default: the one $SHELL names). */
export function completion(y: Argv): Argv {
  return y.command(
    'completion [shell]',
    'Print a shell completion script: bash, zsh or fish (default: $SHELL\'s)',
    (a) =>
      a
        .positional('shell', { type: 'string', choices: SHELLS, describe: 'the shell to complete oj in' })
        .example('oj completion bash > ~/.local/share/bash-completion/completions/oj', '')
        .example('oj completion zsh > "${fpath[1]}/_oj"', '')
        .example('oj completion fish > ~/.config/fish/completions/oj.fish', ''),
    (argv) =>
      locally(() => {
        const shell = (argv.shell as Shell | undefined) ?? loginShell();
        process.stdout.write(completionScript(shell));
      }),
  );
}

/** The shell $SHELL names, if oj has a script for it. */
function loginShell(): Shell {
  const name = (process.env.SHELL ?? '').split('/').pop() ?? '';
  if ((SHELLS as readonly string[]).includes(name)) return name as Shell;
  throw new UsageError(`say which shell: oj completion ${SHELLS.join('|')} ($SHELL is ${process.env.SHELL ? `"${process.env.SHELL}"` : 'not set'})`);
}
