/**
 * Scripts that ojd runs (phases, hooks, guards, agents) call `oj` back. The
 * daemon writes a tiny `oj` launcher into <state>/bin and puts that directory
 * first on their PATH, so `oj` resolves to this installation's client even
 * when it is not installed globally.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

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

/** Writes <stateDir>/bin/oj; returns the bin directory (null if the client cannot be found). */
export function installOjShim(stateDir: string): string | null {
  const cli = ojCliPath();
  if (!cli) return null;
  const binDir = join(stateDir, 'bin');
  mkdirSync(binDir, { recursive: true, mode: 0o700 });
  const shim = join(binDir, 'oj');
  writeFileSync(shim, `#!/bin/sh\nexec ${shQuote(process.execPath)} ${shQuote(cli)} "$@"\n`, { mode: 0o700 });
  chmodSync(shim, 0o700);
  return binDir;
}
