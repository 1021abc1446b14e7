/** A project is the nearest ancestor directory (or the directory itself) holding `.oj/`. */
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function findProjectRoot(start: string = process.cwd()): string | null {
  let dir = resolve(start);
  for (;;) {
    try {
      if (statSync(join(dir, '.oj')).isDirectory()) return dir;
    } catch {
      // not here
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}
