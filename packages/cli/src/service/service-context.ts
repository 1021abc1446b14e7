/**
 * Everything the service module reads from the outside world, in one
 * injectable object: the environment (HOME, XDG_CONFIG_HOME, OJ_*, PATH), the
 * platform, the node and ojd paths, a way to run systemctl/launchctl, and
 * where to print. Tests pass their own so nothing touches the real home.
 */
import { spawnSync } from 'node:child_process';
import type { Env } from '@oj/protocol/client';
import { ojdBinPath } from '../client/daemon-launcher.js';
import { println } from '../output/print.js';

export interface CommandResult {
  /** Exit status; null when the command could not run or timed out. */
  status: number | null;
  stdout: string;
  stderr: string;
  /** The program is not installed. */
  missing: boolean;
}

export type CommandRunner = (command: string, args: readonly string[]) => CommandResult;

export interface ServiceContext {
  env: Env;
  platform: NodeJS.Platform;
  /** For launchctl's gui/<uid> domain. */
  uid: number;
  /** Absolute path of the node binary the service runs (process.execPath). */
  nodePath: string;
  /** Absolute path of bin/ojd.js; resolved lazily because only rendering needs it. */
  ojdPath: () => string;
  run: CommandRunner;
  print: (line: string) => void;
  warn: (line: string) => void;
}

export function serviceContext(overrides: Partial<ServiceContext> = {}): ServiceContext {
  return {
    env: process.env,
    platform: process.platform,
    uid: process.getuid?.() ?? 0,
    nodePath: process.execPath,
    ojdPath: ojdBinPath,
    run: runCommand,
    print: println,
    warn: (line) => process.stderr.write(line + '\n'),
    ...overrides,
  };
}

export const runCommand: CommandRunner = (command, args) => {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  if (r.error) return { status: null, stdout: '', stderr: r.error.message, missing };
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', missing: false };
};
