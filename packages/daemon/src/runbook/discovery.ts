/**
 * Where a project's runbooks live: the project root is the nearest ancestor
 * directory holding `.oj/`; runbooks are `.oj/runbooks/*.toml` (each named
 * after its file); settings are in the optional `.oj/config.toml`.
 */
import { readdirSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

export const OJ_DIR = '.oj';
export const RUNBOOKS_DIR = 'runbooks';
export const CONFIG_FILE = 'config.toml';
export const RUNBOOK_EXTENSION = '.toml';

export interface ProjectPaths {
  root: string;
  ojDir: string;
  runbooksDir: string;
  configFile: string;
}

export function projectPaths(root: string): ProjectPaths {
  const ojDir = join(root, OJ_DIR);
  return { root, ojDir, runbooksDir: join(ojDir, RUNBOOKS_DIR), configFile: join(ojDir, CONFIG_FILE) };
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The nearest directory at or above `startDir` that holds a `.oj/` directory, or null. */
export function findProjectRoot(startDir: string): string | null {
  let dir = resolve(startDir);
  for (;;) {
    if (isDirectory(join(dir, OJ_DIR))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The runbook name of a file: its base name without `.toml`. */
export function runbookName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  return base.endsWith(RUNBOOK_EXTENSION) ? base.slice(0, -RUNBOOK_EXTENSION.length) : base;
}

function tomlFiles(dir: string, entries: Array<{ name: string; isFile(): boolean; isSymbolicLink(): boolean }>): string[] {
  return entries
    .filter((e) => e.name.endsWith(RUNBOOK_EXTENSION) && !e.name.startsWith('.'))
    .filter((e) => e.isFile() || (e.isSymbolicLink() && isFile(join(dir, e.name))))
    .map((e) => join(dir, e.name))
    .sort();
}

/** Absolute paths of `*.toml` files directly in `dir`, sorted; [] when `dir` does not exist. */
export function listRunbookFiles(dir: string): string[] {
  if (!isDirectory(dir)) return [];
  return tomlFiles(dir, readdirSync(dir, { withFileTypes: true }));
}

export async function listRunbookFilesAsync(dir: string): Promise<string[]> {
  if (!isDirectory(dir)) return [];
  return tomlFiles(dir, await readdir(dir, { withFileTypes: true }));
}
