/**
 * `[safety] protected`: a path is off limits when it is a protected path,
 * lies inside one, or contains one (removing a parent removes the child;
 * for glob entries only the first two).
 * Entries are relative to the project root, absolute, or `~/...`; `*`
 * matches within one path segment and `**` any number of segments.
 */
import { homedir } from 'node:os';
import { isAbsolute, resolve, sep } from 'node:path';

export interface ProtectedPaths {
  /** The protected entry `path` falls under, or null. */
  match(path: string): string | null;
}

export function protectedPaths(entries: readonly string[], root: string, home: string = homedir()): ProtectedPaths {
  const rules = entries.map((entry) => {
    const expanded = entry === '~' ? home : entry.startsWith('~/') ? home + entry.slice(1) : entry;
    const absolute = isAbsolute(expanded) ? resolve(expanded) : resolve(root, expanded);
    const segments = split(absolute);
    return { entry, segments, glob: segments.some((s) => s.includes('*')) };
  });
  return {
    match(path: string): string | null {
      const expanded = path === '~' ? home : path.startsWith('~/') ? home + path.slice(1) : path;
      const target = split(isAbsolute(expanded) ? resolve(expanded) : resolve(root, expanded));
      for (const r of rules) {
        if (r.glob ? globRelated(r.segments, target) : related(r.segments, target)) return r.entry;
      }
      return null;
    },
  };
}

function split(p: string): string[] {
  return p.split(sep).filter((s) => s !== '');
}

/** One is a prefix of the other (equal, inside, or containing). */
function related(a: string[], b: string[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function segmentRegex(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map(escape).join('[^/]*')}$`);
}

function escape(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Glob entries: the target is protected when it, or a directory it lies in,
 * matches the whole pattern. (Whether a directory contains a match is not
 * known without looking; list a parent literally to protect it.)
 */
function globRelated(pattern: string[], target: string[]): boolean {
  // Memoised walk: can pattern[i..] and target[j..] be related?
  const memo = new Map<string, boolean>();
  const walk = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === pattern.length) result = true; // the pattern is used up: target is equal or inside
    else if (j === target.length) result = pattern.slice(i).every((s) => s === '**');
    else {
      const p = pattern[i]!;
      if (p === '**') result = walk(i + 1, j) || walk(i, j + 1);
      else result = segmentRegex(p).test(target[j]!) && walk(i + 1, j + 1);
    }
    memo.set(key, result);
    return result;
  };
  return walk(0, 0);
}
