/**
 * Directories the daemon keeps to itself: created 0700; an existing one owned
 * by us is tightened to 0700; one owned by someone else, or writable by
 * others, is refused (another user could replace our socket there).
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
  if ((st.mode & 0o077) !== 0) chmodSync(path, 0o700);
}
