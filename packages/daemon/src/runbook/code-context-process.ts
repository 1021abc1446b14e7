/**
 * The child process of code-context-child.ts: reads a JSON array of neutral
 * shells on stdin, writes the JSON array of their code-context refusals
 * (null for none) on stdout, and exits. Anything else on stdin is an error
 * (exit 2, the reason on stderr).
 */
import { readFileSync } from 'node:fs';
import { findCodeContext } from './shell-code-context.js';
import type { NeutralShell } from './shell-neutral.js';

function isNeutralShell(value: unknown): value is NeutralShell {
  if (typeof value !== 'object' || value === null) return false;
  const { text, tokens } = value as Partial<NeutralShell>;
  return (
    typeof text === 'string' &&
    Array.isArray(tokens) &&
    tokens.every((t) => typeof t === 'object' && t !== null && typeof t.token === 'string' && Number.isInteger(t.at) && typeof t.match?.path === 'string')
  );
}

const input: unknown = JSON.parse(readFileSync(0, 'utf8'));
if (!Array.isArray(input) || !input.every(isNeutralShell)) {
  process.stderr.write('code-context-process: expected a JSON array of neutral shells ({ text, tokens }) on stdin\n');
  process.exit(2);
}
// Exit as soon as the answer is written: the parser's runtime keeps the event loop alive for a while.
process.stdout.write(JSON.stringify(input.map((shell) => findCodeContext(shell))), () => process.exit(0));
