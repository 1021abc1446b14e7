/**
 * Directories the daemon keeps to itself (the state dir, the socket's dir):
 *   - missing: created 0700;
 *   - owned by someone else: refused (they could replace our socket or files);
 *   - ours but shared (writable by others with the sticky bit, like /tmp):
 *     refused, never chmod-ed: other users rely on being able to write there,
 *     and others' entries in it are not ours to judge. Put the socket in a
 *     directory of its own (the default `$XDG_RUNTIME_DIR/oj/` is one);
 *   - ours, group- or other-accessible: tightened to 0700.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';

export class UnsafeDirectoryError extends Error {
  override readonly name = 'UnsafeDirectoryError';
}

export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const st = statSync(path);
  if (!st.isDirectory()) throw new UnsafeDirectoryError(`${path} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new UnsafeDirectoryError(
      `${path} is owned by uid ${st.uid}, not by you (uid ${uid}); refusing to keep the daemon's socket or state there`,
    );
  }
  if ((st.mode & 0o1000) !== 0 && (st.mode & 0o022) !== 0) {
    throw new UnsafeDirectoryError(
      `${path} is a shared directory (others can write there); refusing to keep the daemon's socket or state in it: ` +
        `point OJ_SOCKET / OJ_STATE_DIR at a directory of their own, e.g. ${path.replace(/\/$/, '')}/oj-${uid ?? 'user'}/ojd.sock`,
    );
  }
  if ((st.mode & 0o077) !== 0) chmodSync(path, 0o700);
}
