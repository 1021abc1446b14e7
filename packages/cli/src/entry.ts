/**
 * What the `oj` executable runs. The commands scripts and prompts call in
 * loops (`oj status`, `oj pipeline list`, with plain boolean flags and, for
 * the list, `--limit N`, and `oj --version`) are answered without loading
 * yargs and the whole command tree; anything else (other options, --help,
 * completion, usage errors) goes to the full CLI in main.ts, which parses it
 * exactly as before. Both paths run the same handlers.
 */
import { OJ_VERSION } from '@oj/protocol/client';
import { endQuietlyWhenOutputCloses } from './output/closed-output.js';
import { exitOnInterrupt } from './output/interrupt.js';

type Flags = Record<string, true>;

/** The fast path's reading of argv: which handler, with which arguments. */
export type FastCall =
  | { command: 'version' }
  | { command: 'session hook' }
  | { command: 'status'; args: Flags }
  | { command: 'pipeline list'; args: Flags; limit?: number };

/** Plain `--flag`s, each allowed and at most once; anything else: null (the full CLI decides). */
function flagsOf(args: string[], allowed: readonly string[]): Flags | null {
  const out: Flags = {};
  for (const a of args) {
    const name = a.startsWith('--') ? a.slice(2) : '';
    if (!allowed.includes(name) || name in out) return null;
    out[name] = true;
  }
  return out;
}

/**
 * `oj pipeline list` options: plain flags as flagsOf, plus at most one
 * `--limit N`, `--limit=N` or `-n N` where N is a whole number (digits only,
 * 0 or more). Anything else, a bad N included, is null: the full CLI reports it.
 */
function listArgsOf(args: string[], allowed: readonly string[]): { args: Flags; limit?: number } | null {
  const rest: string[] = [];
  let limit: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let value: string | undefined;
    if (a === '--limit' || a === '-n') value = args[++i];
    else if (a.startsWith('--limit=')) value = a.slice('--limit='.length);
    else {
      rest.push(a);
      continue;
    }
    if (limit !== undefined || value === undefined || !/^\d+$/.test(value)) return null;
    limit = Number(value);
    if (!Number.isSafeInteger(limit)) return null;
  }
  const flags = flagsOf(rest, allowed);
  if (!flags) return null;
  return limit === undefined ? { args: flags } : { args: flags, limit };
}

/** How argv is answered on the fast path, or null when the full CLI must parse it. */
export function fastCall(argv: string[]): FastCall | null {
  const [first, second] = argv;
  if (argv.length === 1 && first === '--version') return { command: 'version' };
  // Claude Code runs it on every hook: no yargs, no daemon start.
  if (argv.length === 2 && first === 'session' && second === 'hook') return { command: 'session hook' };
  if (first === 'status') {
    const f = flagsOf(argv.slice(1), ['json', 'all']);
    if (f) return { command: 'status', args: f };
  }
  if (first === 'pipeline' && (second === 'list' || second === 'ls')) {
    const f = listArgsOf(argv.slice(2), ['json', 'all', 'active', 'archived']);
    if (f) return { command: 'pipeline list', ...f };
  }
  return null;
}

/** The handler for argv if it takes the fast path, else null. */
function fastPath(argv: string[]): (() => Promise<void>) | null {
  const call = fastCall(argv);
  switch (call?.command) {
    case 'version':
      return async () => {
        process.stdout.write(`${OJ_VERSION}\n`);
      };
    case 'session hook':
      return async () => (await import('./commands/session-hook.js')).runHook();
    case 'status': {
      const args = call.args;
      return async () => (await import('./commands/status-command.js')).runStatus(args);
    }
    case 'pipeline list': {
      const args = { ...call.args, ...(call.limit !== undefined ? { limit: call.limit } : {}) };
      return async () => (await import('./commands/pipeline-list.js')).listPipelines(args);
    }
    default:
      return null;
  }
}

export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  endQuietlyWhenOutputCloses();
  exitOnInterrupt();
  const fast = fastPath(argv);
  if (fast) return fast();
  const { main } = await import('./main.js');
  return main(argv);
}
