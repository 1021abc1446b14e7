/**
 * Scripts that ojd runs (phases, hooks, guards, agents) call `oj` back. The
 * daemon writes a tiny `oj` launcher into <state>/bin and puts that directory
 * first on their PATH, so `oj` resolves to this installation's client even
 * when it is not installed globally.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { checkStateEntry } from '@oj/protocol';

export function ojCliPath(): string | null {
  if (process.env.OJ_CLI_PATH) return process.env.OJ_CLI_PATH;
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('@oj/cli/package.json')), 'bin', 'oj.js');
  } catch {
    return null;
  }
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Writes <stateDir>/bin/oj; returns the bin directory (null if the client
 * cannot be found). bin/ must be our own private directory (not a link to
 * someone else's): what is in it runs as us. The shim is written to a new
 * file (O_EXCL, O_NOFOLLOW: never through something already there) and
 * renamed into place.
 */
export function installOjShim(stateDir: string): string | null {
  const cli = ojCliPath();
  if (!cli) return null;
  const binDir = join(stateDir, 'bin');
  try {
    mkdirSync(binDir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  checkStateEntry(binDir, 'directory');
  const shim = join(binDir, 'oj');
  const temp = join(binDir, `.oj.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o700);
  try {
    writeSync(fd, `#!/bin/sh\nexec ${shQuote(process.execPath)} ${shQuote(cli)} "$@"\n`);
    fchmodSync(fd, 0o700);
  } catch (err) {
    closeSync(fd);
    unlinkSync(temp);
    throw err;
  }
  closeSync(fd);
  renameSync(temp, shim);
  return binDir;
}
