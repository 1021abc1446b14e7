/**
 * A full disk (or a used-up quota) under the state directory. SQLite reports
 * it as SQLITE_FULL and rolls the transaction back; the file system as
 * ENOSPC or EDQUOT. Either way the write is refused with one clear error
 * (DiskFull, `disk_full`), nothing is left half-written, reads go on, and
 * writes succeed again by themselves once there is room: there is nothing
 * to reset. DiskFullWatch tells the log when it starts and when it ends.
 */
import { ErrorCode, OjError } from '@oj/protocol';

const FULL_ERRNOS = new Set(['ENOSPC', 'EDQUOT']);

/** Whether an error is the disk (or quota) being full. */
export function isDiskFull(err: unknown): boolean {
  if (err instanceof OjError) return err.code === ErrorCode.DiskFull;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return code === 'SQLITE_FULL' || code.startsWith('SQLITE_FULL_') || FULL_ERRNOS.has(code);
}

/** The errno to name: ENOSPC unless the error says EDQUOT. */
function errnoOf(err: unknown): string {
  return (err as { code?: unknown } | null)?.code === 'EDQUOT' ? 'EDQUOT' : 'ENOSPC';
}

/**
 * The error a client gets. `dir`: where the space is missing (the state
 * directory, or the path a file operation named).
 */
export function diskFullError(err: unknown, dir: string | null, unchanged: boolean): OjError {
  if (err instanceof OjError && err.code === ErrorCode.DiskFull) return err;
  const errno = errnoOf(err);
  const where = dir ? ` on the file system of ${dir}` : '';
  const what = errno === 'EDQUOT' ? 'disk quota used up' : 'disk full';
  return new OjError(ErrorCode.DiskFull, `${what} (${errno}): no space left${where}; ${unchanged ? 'nothing was changed' : 'the request did not complete'}`, {
    kind: 'disk_full',
    errno,
    ...(dir ? { path: dir } : {}),
    hint: `free some space${dir ? ` (df -h ${dir})` : ''}; ojd takes writes again by itself once there is room`,
  });
}

/** Tracks whether writes are being refused for want of space, for the log and `daemon.status`. */
export class DiskFullWatch {
  private sinceMs: number | null = null;
  private refusedCount = 0;
  private readonly listeners: ((change: { full: boolean; refused: number }) => void)[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Called with `full: true` when writes start failing, `full: false` (and how many were refused) when one succeeds again. */
  onChange(listener: (change: { full: boolean; refused: number }) => void): void {
    this.listeners.push(listener);
  }

  refused(): void {
    this.refusedCount++;
    if (this.sinceMs !== null) return;
    this.sinceMs = this.now();
    this.emit({ full: true, refused: this.refusedCount });
  }

  succeeded(): void {
    if (this.sinceMs === null) return;
    const refused = this.refusedCount;
    this.sinceMs = null;
    this.refusedCount = 0;
    this.emit({ full: false, refused });
  }

  /** Since when writes are refused, and how many were; null while they succeed. */
  get state(): { since: string; refused: number } | null {
    return this.sinceMs === null ? null : { since: new Date(this.sinceMs).toISOString(), refused: this.refusedCount };
  }

  private emit(change: { full: boolean; refused: number }): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // a listener (the log) must not turn a refused write into another failure
      }
    }
  }
}
