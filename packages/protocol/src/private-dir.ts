/**
 * Directories the daemon keeps to itself (the state dir, the socket's dir).
 * Whatever is in them is trusted: `<state>/bin` comes first on every child's
 * PATH, the log and the database are written there. So a directory others
 * could have written into is refused, never repaired silently:
 *   - missing: created 0700;
 *   - not a directory, or owned by someone else: refused;
 *   - writable by others (group or other write bit): refused, with how to fix
 *     it. A shared one (sticky, like /tmp) is never ours to chmod; one of our
 *     own may hold what someone else planted, so the user looks first;
 *   - ours, group- or other-readable only: tightened to 0700, but only when
 *     it holds nothing but what oj keeps there: a directory with anything else
 *     in it (`/`, a home directory, /usr as root) is somebody's, and its mode
 *     is theirs to change, so it is refused with how to fix it.
 * Used by ojd at start and by `oj` before it starts ojd (state-entries.ts
 * checks what is inside).
 */
import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';

export class UnsafeDirectoryError extends Error {
  override readonly name = 'UnsafeDirectoryError';
  constructor(
    message: string,
    /** The directory or entry refused. */
    readonly path: string,
  ) {
    super(message);
  }
}

export function octalMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}

export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const st = statSync(path);
  if (!st.isDirectory()) throw new UnsafeDirectoryError(`${path} is not a directory; remove it or point OJ_STATE_DIR / OJ_SOCKET elsewhere`, path);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new UnsafeDirectoryError(
      `${path} is owned by uid ${st.uid}, not by you (uid ${uid}); refusing to keep the daemon's socket or state there: ` +
        `point OJ_STATE_DIR / OJ_SOCKET at a directory of your own`,
      path,
    );
  }
  if ((st.mode & 0o1000) !== 0 && (st.mode & 0o022) !== 0) {
    throw new UnsafeDirectoryError(
      `${path} is a shared directory (others can write there); refusing to keep the daemon's socket or state in it: ` +
        `point OJ_SOCKET / OJ_STATE_DIR at a directory of their own, e.g. ${path.replace(/\/$/, '')}/oj-${uid ?? 'user'}/ojd.sock`,
      path,
    );
  }
  if ((st.mode & 0o022) !== 0) {
    throw new UnsafeDirectoryError(
      `${path} can be written by other users (mode ${octalMode(st.mode)}); refusing to use it: the daemon runs programs ` +
        `and writes files found there as you, and someone else could have put them there. ` +
        `If you made it and trust what is inside, make it private (chmod 700 ${path}); otherwise remove it (rm -r ${path}) and oj creates it again`,
      path,
    );
  }
  if ((st.mode & 0o077) === 0) return;
  const foreign = readdirSync(path).filter((name) => !OJ_NAMES.test(name));
  if (foreign.length > 0) {
    throw new UnsafeDirectoryError(
      `${path} can be read by other users (mode ${octalMode(st.mode)}) and holds more than oj's files (${foreign.slice(0, 3).join(', ')}` +
        `${foreign.length > 3 ? ', …' : ''}); refusing to change its mode: point OJ_STATE_DIR / OJ_SOCKET at a directory of oj's own ` +
        `(oj creates it), or make this one private yourself (chmod 700 ${path})`,
      path,
    );
  }
  chmodSync(path, 0o700);
}

/** What oj keeps in a state or socket directory (state-entries.ts lists them with their kinds). */
const OJ_NAMES = /^(?:bin|sessions|logs|workspaces|ojd\d*\.log|oj\.db(?:-wal|-shm|-journal)?|ojd\.pid|spawner\.pid|ojd\.out(?:\.1)?|config\.toml|ojd\.sock)$/;
