/**
 * Shell completion: `oj completion` prints a bash/zsh script (yargs), `oj
 * completion fish` a fish one. Besides commands and options it completes
 * runbook command names after `oj run`, and pipeline and session ids, asked
 * of the daemon (only when one is already running: completing never starts it).
 */
import { CommandMethods, PipelineMethods, SessionMethods } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import { daemonLocation, tryConnect } from '../client/daemon-launcher.js';
import { currentProject } from './run-command.js';

type Done = (completions: string[]) => void;
type Filter = (onCompleted?: (err: unknown, completions: string[]) => void) => void;

const PIPELINE_ID_COMMANDS = new Set(['show', 'logs', 'transition', 'resume', 'cancel', 'checkpoint', 'label', 'archive', 'age', 'phase-age', 'failure-count', 'wait']);
const SESSION_ID_COMMANDS = new Set(['show', 'idle-time', 'alive', 'capture', 'send', 'nudge', 'kill', 'attach', 'wait']);

async function fromDaemon(words: string[]): Promise<string[] | null> {
  const [top, sub] = words;
  const wantsCommand = top === 'run' && words.length === 1;
  const wantsPipeline = top === 'pipeline' && sub !== undefined && PIPELINE_ID_COMMANDS.has(sub) && words.length === 2;
  const wantsSession = top === 'session' && sub !== undefined && SESSION_ID_COMMANDS.has(sub) && words.length === 2;
  if (!wantsCommand && !wantsPipeline && !wantsSession) return null;
  const conn = await tryConnect(daemonLocation()).catch(() => null);
  if (!conn) return [];
  try {
    const project = currentProject();
    if (wantsCommand) {
      if (!project) return [];
      return (await conn.call(CommandMethods.List, { project })).commands.map((c) => c.name);
    }
    // No limit: every id completes, not only the newest page `oj pipeline list` shows.
    if (wantsPipeline) return (await conn.call(PipelineMethods.List, project ? { project } : {})).pipelines.map((p) => p.id);
    return (await conn.call(SessionMethods.List, project ? { project } : {})).sessions.map((s) => s.id);
  } catch {
    return [];
  } finally {
    conn.close();
  }
}

export function completion(y: Argv): Argv {
  return y
    .completion('completion', 'Print a shell completion script (bash or zsh; `oj completion fish` for fish)', ((
      current: string,
      argv: { _: (string | number)[] },
      filter: Filter,
      done: Done,
    ) => {
      if (process.env.OJ_DEBUG_COMPLETION) process.stderr.write(JSON.stringify({ current, _: argv._ }) + '\n');
      const words = argv._.map(String).filter((w, i) => !(i === 0 && w === 'oj'));
      // the last word is the one being completed (possibly empty)
      const settled = words.slice(0, -1);
      void fromDaemon(settled).then((ids) => {
        if (ids) done(ids.filter((x) => x.startsWith(current)));
        else filter((_err, list) => done(list));
      });
    }) as never)
    .command('completion fish', false, () => {}, () => {
      process.stdout.write(FISH);
    });
}

const FISH = `# oj completion for fish: oj completion fish > ~/.config/fish/completions/oj.fish
function __oj_complete
    set -l words (commandline -opc) (commandline -ct)
    oj --get-yargs-completions $words[2..-1] 2>/dev/null
end
complete -c oj -f -a '(__oj_complete)'
`;
