/**
 * What the daemon uses inside its state directory, checked before it uses
 * any of it (by ojd at start, and by `oj` before it starts ojd). A private
 * state dir (private-dir.ts) may still hold entries planted while it was
 * open to others: `bin` as a link to someone's directory of fake programs
 * (first on every child's PATH), `ojd.log` as a link to a file the daemon
 * would then write. Each entry that exists must be of the expected kind, not
 * a symbolic link, owned by us and not writable by others (a file also not
 * hard-linked elsewhere); else it is refused with its path and the reason.
 * Below these, the daemon creates everything itself (umask 077).
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { UnsafeDirectoryError, octalMode } from './private-dir.js';

type Kind = 'directory' | 'file' | 'socket';

/** Entries of the state dir, relative to it (see docs/operations.md, State directory). */
export const STATE_ENTRIES: readonly (readonly [string, Kind])[] = [
  ['bin', 'directory'],
  ['bin/oj', 'file'],
  ['sessions', 'directory'],
  ['logs', 'directory'],
  ['workspaces', 'directory'],
  ['ojd.log', 'file'],
  // the rotated logs (log-file.ts: three files kept)
  ['ojd1.log', 'file'],
  ['ojd2.log', 'file'],
  ['oj.db', 'file'],
  ['oj.db-wal', 'file'],
  ['oj.db-shm', 'file'],
  ['oj.db-journal', 'file'],
  ['ojd.pid', 'file'],
  ['spawner.pid', 'file'],
  ['ojd.out', 'file'],
  // the dashboard server's output (oj ui)
  ['ui.out', 'file'],
  ['config.toml', 'file'],
  ['ojd.sock', 'socket'],
];

/** Throws UnsafeDirectoryError for the first entry of the state dir that is not safe to use. */
export function checkStateEntries(stateDir: string): void {
  for (const [name, kind] of STATE_ENTRIES) checkStateEntry(join(stateDir, name), kind);
}

/** One entry: absent is fine; else it must be what the daemon would have made. */
export function checkStateEntry(path: string, kind: Kind): void {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const problem = entryProblem(path, st, kind);
  if (problem) {
    throw new UnsafeDirectoryError(
      `refusing to use ${path}: ${problem}. ojd never makes it so: someone else may have put it there ` +
        `(the directory may once have been open to others). Look at it, remove it (rm -r ${path}), and start again`,
      path,
    );
  }
}

function entryProblem(path: string, st: Stats, kind: Kind): string | null {
  if (st.isSymbolicLink()) return `it is a symbolic link (to ${linkTarget(path)})`;
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return `it is owned by uid ${st.uid}, not by you (uid ${uid})`;
  if ((st.mode & 0o022) !== 0) return `other users can write it (mode ${octalMode(st.mode)})`;
  const is = kind === 'directory' ? st.isDirectory() : kind === 'socket' ? st.isSocket() : st.isFile();
  if (!is) return `it is not a ${kind}`;
  if (kind === 'file' && st.nlink > 1) return `it has ${st.nlink} hard links (writing it would change another file)`;
  return null;
}

function linkTarget(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '?';
  }
}
