/**
 * oj's exit codes: one table for every command (docs/cli.md prints it from
 * EXIT_CODES below). A command returns one of these, or throws; how a thrown
 * error ends the command is decided here and nowhere else: UsageError and
 * NotFoundError for what the CLI finds itself, and one entry per protocol
 * error code for what the daemon answers (a new protocol code does not
 * compile until it has one).
 */
import { ErrorCode, OjError, type ErrorCodeValue } from '@oj/protocol/client';

export const ExitCode = {
  Ok: 0,
  /** The thing failed (or a yes/no command's answer is no). */
  Failure: 1,
  /** The command line is wrong: unknown command or option, bad value, ambiguous or malformed id. */
  Usage: 2,
  NotFound: 3,
  /** What was waited for was cancelled. */
  Cancelled: 4,
  /** A --timeout passed (as GNU timeout's 124). */
  TimedOut: 124,
  /** Ctrl-C (SIGINT), 128 + 2 as shells report it. */
  Interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The table in docs/cli.md: code, meaning, examples. */
export const EXIT_CODES: readonly { code: ExitCodeValue; meaning: string; examples: string }[] = [
  { code: ExitCode.Ok, meaning: 'ok', examples: 'a pipeline waited for is done; a yes/no command answers yes' },
  {
    code: ExitCode.Failure,
    meaning: 'the thing failed',
    examples:
      'a pipeline waited for failed; the daemon refused (wrong state, e.g. `oj daemon restore` while ojd runs); ' +
      'a yes/no command answers no (`alive`, `exists`, `healthy`, `is-stale`); `oj queue take` found nothing; ' +
      '`oj lock acquire` without `--wait` found the lock held',
  },
  {
    code: ExitCode.Usage,
    meaning: 'usage error',
    examples: 'unknown command or option, a bad or missing value, an ambiguous id prefix or a malformed id, not inside a project',
  },
  { code: ExitCode.NotFound, meaning: 'not found', examples: 'no pipeline, session, queue item, command, lock... of that name or id' },
  { code: ExitCode.Cancelled, meaning: 'cancelled', examples: 'a pipeline waited for (`--wait`, `--follow`, `oj pipeline wait`) was cancelled' },
  {
    code: ExitCode.TimedOut,
    meaning: 'timed out',
    examples: '`--timeout` passed (`oj pipeline wait`, `oj session wait`, `oj lock acquire --wait`), as GNU `timeout` exits',
  },
  {
    code: ExitCode.Interrupted,
    meaning: 'interrupted',
    examples: 'Ctrl-C (SIGINT), e.g. on `oj run --wait`/`--follow`, `oj pipeline wait`, `oj events --follow`; what was waited for goes on',
  },
];

/** An error the user made on the command line: printed as one line, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What the command names does not exist: printed as one line (and a hint), exit 3. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Every protocol error code and the exit code it ends a command with. */
const BY_PROTOCOL_CODE: Record<ErrorCodeValue, ExitCodeValue> = {
  [ErrorCode.ParseError]: ExitCode.Failure,
  [ErrorCode.InvalidRequest]: ExitCode.Failure,
  // An oj and an ojd of different versions: not the user's command line.
  [ErrorCode.MethodNotFound]: ExitCode.Failure,
  [ErrorCode.InvalidParams]: ExitCode.Usage,
  [ErrorCode.InternalError]: ExitCode.Failure,
  [ErrorCode.NotFound]: ExitCode.NotFound,
  [ErrorCode.AlreadyExists]: ExitCode.Failure,
  [ErrorCode.Ambiguous]: ExitCode.Usage,
  [ErrorCode.IllegalState]: ExitCode.Failure,
  [ErrorCode.VersionMismatch]: ExitCode.Failure,
  [ErrorCode.RunbookInvalid]: ExitCode.Failure,
  [ErrorCode.ProjectNotFound]: ExitCode.NotFound,
  // Too much in one request: an argument too big to send.
  [ErrorCode.LineTooLong]: ExitCode.Usage,
  [ErrorCode.Timeout]: ExitCode.TimedOut,
  [ErrorCode.Unavailable]: ExitCode.Failure,
  [ErrorCode.BadArguments]: ExitCode.Usage,
  // The daemon refused the write: the thing failed (nothing was changed).
  [ErrorCode.DiskFull]: ExitCode.Failure,
};

/** The exit code a command that threw `err` ends with. */
export function exitCodeOf(err: unknown): ExitCodeValue {
  if (err instanceof UsageError) return ExitCode.Usage;
  if (err instanceof NotFoundError) return ExitCode.NotFound;
  if (err instanceof OjError) return BY_PROTOCOL_CODE[err.code as ErrorCodeValue] ?? ExitCode.Failure;
  return ExitCode.Failure;
}

/** How waiting for a pipeline ends: done 0, failed 1, cancelled 4. */
export function pipelineEndCode(status: string): ExitCodeValue {
  if (status === 'done') return ExitCode.Ok;
  if (status === 'cancelled') return ExitCode.Cancelled;
  return ExitCode.Failure;
}
