/**
 * Runbook problems. Every problem names the file and, where it applies, the
 * primitive (kind + name), the element inside it (`phase[2] "merge"`) and the
 * field. Loading collects all of them; it never stops at the first.
 */

/** Where a problem is. `file` is shown as given (relative to the project root when loading a project). */
export interface ErrorLocation {
  file: string;
  kind?: string;
  name?: string;
  /** An element inside the primitive, e.g. `phase[2] "merge"` or `attempt[0]`. */
  at?: string;
  /** The field, dotted for nested tables: `retry.interval`, `dead.retention`. */
  field?: string;
}

export interface RunbookError extends ErrorLocation {
  /** 1-based line in the file, when known. */
  line?: number;
  message: string;
  /** A short suggestion: `did you mean "merge"?`, or how to fix it. */
  hint?: string;
}

/** Collects problems; `add` never throws. */
export class ErrorSink {
  readonly errors: RunbookError[] = [];

  add(location: ErrorLocation, message: string, hint?: string): void {
    const error: RunbookError = { ...location, message };
    if (hint !== undefined) error.hint = hint;
    this.errors.push(error);
  }

  get count(): number {
    return this.errors.length;
  }
}

/**
 * One line per problem:
 * `.oj/runbooks/build.toml:14: pipeline.build phase[2] "merge" field next: unknown phase "mrege" (did you mean "merge"?)`
 */
export function formatRunbookError(error: RunbookError): string {
  const place = error.line === undefined ? error.file : `${error.file}:${error.line}`;
  const subject: string[] = [];
  if (error.kind !== undefined) subject.push(error.name === undefined ? error.kind : `${error.kind}.${error.name}`);
  if (error.at !== undefined) subject.push(error.at);
  if (error.field !== undefined) subject.push(`field ${error.field}`);
  const hint = error.hint === undefined ? '' : ` (${error.hint})`;
  return subject.length === 0
    ? `${place}: ${error.message}${hint}`
    : `${place}: ${subject.join(' ')}: ${error.message}${hint}`;
}

export function formatRunbookErrors(errors: readonly RunbookError[]): string {
  return errors.map(formatRunbookError).join('\n');
}

/** Thrown by APIs that cannot return a result object (e.g. `Project.require`). */
export class RunbookLoadError extends Error {
  override readonly name = 'RunbookLoadError';
  constructor(readonly errors: readonly RunbookError[]) {
    super(formatRunbookErrors(errors));
  }
}
