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

/** A directory's entries, sorted (null when it cannot be read). */
function entries(dir: string): string[] | null {
  try {
    return readdirSync(dir).sort();
  } catch {
    return null;
  }
}

/** One file's part: its stat key, and its content hash when it was hashed. */
function fileKey(path: string, nowMs: number, forceHash: boolean): { stat: string; hash: string | null; racy: boolean } {
  let stat;
  try {
    stat = statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return { stat: `${path}:?`, hash: null, racy: false };
  }
  if (stat === undefined) return { stat: `${path}:-`, hash: null, racy: false };
  const key = `${path}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.ino}`;
  const newest = Number((stat.mtimeNs > stat.ctimeNs ? stat.mtimeNs : stat.ctimeNs) / 1_000_000n);
  const racy = stat.isFile() && newest >= nowMs - RACY_WINDOW_MS;
  if (!stat.isFile() || (!racy && !forceHash)) return { stat: key, hash: null, racy };
  let hash: string;
  try {
    hash = createHash('sha1').update(readFileSync(path)).digest('hex');
  } catch {
    hash = '?';
  }
  return { stat: key, hash, racy };
}

/**
 * A fingerprint, and the files whose content it holds. Comparing a stored
 * fingerprint with today's files must hash those same files again
 * (`hashAlso`): a file that has merely left the racy window since is not a
 * change.
 */
export interface Fingerprint {
  text: string;
  hashed: ReadonlySet<string>;
}

/**
 * The fingerprint of a project's runbook sources; `extraFiles` are prompt
 * files and the like. `hashAlso`: files hashed in the fingerprint this one is
 * compared with. `settled` is the same state as it will be stored from now
 * on: hashes only for files still in the racy window.
 */
export function projectFingerprint(
  root: string,
  extraFiles: Iterable<string>,
  nowMs: number = Date.now(),
  hashAlso: ReadonlySet<string> = new Set(),
): Fingerprint & { settled: Fingerprint } {
  const paths = projectPaths(root);
  const runbooks = entries(paths.runbooksDir);
  const listings = [entries(paths.ojDir)?.join('/') ?? '-', runbooks?.join('/') ?? '-'];
  const files = [paths.configFile];
  // No runbooks directory: the listing above says so.
  for (const name of runbooks ?? []) if (name.endsWith(RUNBOOK_EXTENSION)) files.push(join(paths.runbooksDir, name));
  for (const path of [...new Set(extraFiles)].sort()) files.push(path);
  const parts = [...listings];
  const settledParts = [...listings];
  const hashed = new Set<string>();
  const settledHashed = new Set<string>();
  for (const path of files) {
    const k = fileKey(path, nowMs, hashAlso.has(path));
    parts.push(k.hash === null ? k.stat : `${k.stat}:${k.hash}`);
    if (k.hash !== null) hashed.add(path);
    settledParts.push(k.racy && k.hash !== null ? `${k.stat}:${k.hash}` : k.stat);
    if (k.racy && k.hash !== null) settledHashed.add(path);
  }
  return { text: parts.join('\n'), hashed, settled: { text: settledParts.join('\n'), hashed: settledHashed } };
}
