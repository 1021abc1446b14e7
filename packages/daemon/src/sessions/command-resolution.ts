/**
 * Finds the executable of a command before it is spawned, so "not found" and
 * "not executable" are clear start errors instead of a child that prints
 * "execvp(3) failed" and exits 1.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export class CommandNotFoundError extends Error {
  override readonly name = 'CommandNotFoundError';
}

/** The path of the executable `file` names: relative to cwd when it has a slash, else looked up on PATH. */
export function resolveExecutable(file: string, cwd: string, pathVariable: string | undefined): string {
  if (file.length === 0) throw new CommandNotFoundError('empty command');
  if (file.includes('/')) {
    const path = isAbsolute(file) ? file : resolve(cwd, file);
    if (isExecutableFile(path)) return path;
    throw new CommandNotFoundError(`command is not an executable file: ${path}`);
  }
  for (const dir of (pathVariable ?? '').split(delimiter)) {
    if (dir.length === 0) continue;
    const path = join(isAbsolute(dir) ? dir : resolve(cwd, dir), file);
    if (isExecutableFile(path)) return path;
  }
  throw new CommandNotFoundError(`command not found on PATH: ${file} (PATH=${pathVariable ?? ''})`);
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
