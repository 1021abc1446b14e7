/** Writing results: JSON for scripts, text for people, and errors as one line plus a hint. */
import { ErrorCode, OjError } from '@oj/protocol/client';
import { style } from './style.js';

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function println(text = ''): void {
  process.stdout.write(text + '\n');
}

/** Exit codes: 0 ok, 1 failure, 2 usage error. */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 2 } as const;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Prints an error the way every command does; returns the exit code it deserves. */
export function reportError(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`${style.red('error', process.stderr)}: ${err.message}\n`);
    return ExitCode.Usage;
  }
  if (err instanceof OjError) {
    process.stderr.write(`${style.red('error', process.stderr)}: ${err.message}\n`);
    const hint = err.data.hint;
    if (typeof hint === 'string') process.stderr.write(`hint: ${hint}\n`);
    if (err.code === ErrorCode.InvalidParams || err.code === ErrorCode.BadArguments) return ExitCode.Usage;
    return ExitCode.Failure;
  }
  const e = err as Error;
  process.stderr.write(`${style.red('error', process.stderr)}: ${e?.message ?? String(err)}\n`);
  if (process.env.OJ_DEBUG && e?.stack) process.stderr.write(e.stack + '\n');
  return ExitCode.Failure;
}
