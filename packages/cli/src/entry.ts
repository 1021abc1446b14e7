/**
 * What the `oj` executable runs. The commands scripts and prompts call in
 * loops (`oj status`, `oj pipeline list`, with plain boolean flags, and
 * `oj --version`) are answered without loading yargs and the whole command
 * tree; anything else (other options, --help, completion, usage errors) goes
 * to the full CLI in main.ts, which parses it exactly as before. Both paths
 * run the same handlers.
 */
import { OJ_VERSION } from '@oj/protocol/client';

type Flags = Record<string, true>;

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

/** The handler for argv if it takes the fast path, else null. */
function fastPath(argv: string[]): (() => Promise<void>) | null {
  const [first, second] = argv;
  if (argv.length === 1 && first === '--version') {
    return async () => {
      process.stdout.write(`${OJ_VERSION}\n`);
    };
  }
  if (first === 'status') {
    const f = flagsOf(argv.slice(1), ['json', 'all']);
    if (f) return async () => (await import('./commands/status-command.js')).runStatus(f);
  }
  if (first === 'pipeline' && (second === 'list' || second === 'ls')) {
    const f = flagsOf(argv.slice(2), ['json', 'all', 'active', 'archived']);
    if (f) return async () => (await import('./commands/pipeline-list.js')).listPipelines(f);
  }
  return null;
}

export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  const fast = fastPath(argv);
  if (fast) return fast();
  const { main } = await import('./main.js');
  return main(argv);
}
