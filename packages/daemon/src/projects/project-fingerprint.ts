/**
 * A cheap fingerprint of the files a project's runbooks are built from: the
 * `.oj/` and `.oj/runbooks/` listings, `.oj/config.toml`, every runbook file
 * and the prompt files the loader read. It changes whenever one of them does,
 * so a request can tell in a few stat calls whether the runbooks it is about
 * to use are still what is on disk (read-your-writes).
 *
 * Each file counts by size, mtime (ns), ctime (ns) and inode. A file modified
 * so recently that a second write could land in the same timestamp tick (the
 * "racy" window) also counts by a hash of its content, so two quick writes of
 * the same size are never mistaken for one.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectPaths, RUNBOOK_EXTENSION } from '../runbook/discovery.js';

/** How recent (ms before now) a modification must be for the content to be hashed too. */
export const RACY_WINDOW_MS = 1000;

function listing(dir: string): string {
  try {
    return readdirSync(dir).sort().join('/');
  } catch {
    return '-';
  }
}

function fileKey(path: string, nowMs: number): string {
  let stat;
  try {
    stat = statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return `${path}:?`;
  }
  if (stat === undefined) return `${path}:-`;
  let key = `${path}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.ino}`;
  const newest = Number((stat.mtimeNs > stat.ctimeNs ? stat.mtimeNs : stat.ctimeNs) / 1_000_000n);
  if (stat.isFile() && newest >= nowMs - RACY_WINDOW_MS) {
    try {
      key += `:${createHash('sha1').update(readFileSync(path)).digest('hex')}`;
    } catch {
      key += ':?';
    }
  }
  return key;
}

/** The fingerprint of a project's runbook sources; `extraFiles` are prompt files and the like. */
export function projectFingerprint(root: string, extraFiles: Iterable<string>, nowMs: number = Date.now()): string {
  const paths = projectPaths(root);
  const parts = [listing(paths.ojDir), listing(paths.runbooksDir), fileKey(paths.configFile, nowMs)];
  let names: string[] = [];
  try {
    names = readdirSync(paths.runbooksDir).filter((n) => n.endsWith(RUNBOOK_EXTENSION)).sort();
  } catch {
    // no runbooks directory: the listing above says so
  }
  for (const name of names) parts.push(fileKey(join(paths.runbooksDir, name), nowMs));
  for (const path of [...new Set(extraFiles)].sort()) parts.push(fileKey(path, nowMs));
  return parts.join('\n');
}
