/**
 * `<state>/ojd.out` takes the daemon's stdout and stderr when `oj` started it
 * (or launchd runs it): Node's warnings and anything a crash prints. Nothing
 * rotates it, so the daemon caps it itself, at start and then every hour:
 * past the cap, its newest `maxBytes` are kept as `ojd.out.1` (replacing the
 * older copy) and the file is emptied in place. Whoever writes to it opened
 * it to append, so the next write lands at the new end.
 */
import { chmodSync, closeSync, openSync, readSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';

export const OUT_FILE_MAX_BYTES = 8 * 1024 * 1024;

/** Caps the file at `path`; returns whether it was over the cap (and so rotated). */
export function capOutFile(path: string, maxBytes = OUT_FILE_MAX_BYTES): boolean {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return false; // not there (the daemon runs in a terminal): nothing to cap
  }
  if (size <= maxBytes) return false;
  const tail = Buffer.alloc(maxBytes);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, tail, 0, maxBytes, size - maxBytes);
  } finally {
    closeSync(fd);
  }
  const old = `${path}.1`;
  const temp = `${old}.tmp`;
  writeFileSync(temp, tail, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, old);
  truncateSync(path, 0);
  return true;
}
