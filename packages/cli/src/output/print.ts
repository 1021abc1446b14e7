/** Writing results: JSON for scripts, text for people, and errors as one line plus a hint. */
import { OjError } from '@oj/protocol/client';
import { NotFoundError, UsageError, exitCodeOf } from './exit-codes.js';
import { style } from './style.js';

export { ExitCode, NotFoundError, UsageError } from './exit-codes.js';

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function println(text = ''): void {
  process.stdout.write(text + '\n');
}

/**
 * Prints an error the way every command does (one line, then a hint if there
 * is one); returns the exit code it deserves (exit-codes.ts decides).
 */
export function reportError(err: unknown): number {
  const e = err as Error;
  process.stderr.write(`${style.red('error', process.stderr)}: ${e?.message ?? String(err)}\n`);
  const hint = err instanceof OjError ? err.data.hint : err instanceof NotFoundError ? err.hint : undefined;
  if (typeof hint === 'string') process.stderr.write(`hint: ${hint}\n`);
  const known = err instanceof OjError || err instanceof UsageError || err instanceof NotFoundError;
  if (!known && process.env.OJ_DEBUG && e?.stack) process.stderr.write(e.stack + '\n');
  return exitCodeOf(err);
}
