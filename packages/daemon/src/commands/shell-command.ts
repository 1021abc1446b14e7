/** A runbook command that runs a shell script: its script, environment and exit status. */
import { ErrorCode, OjError } from '@oj/protocol';
import type { ShellRunner } from '../adapters/shell-runner.js';
import { argsLayer, createContext, interpolateShell, type ArgValue, type Command } from '../runbook/index.js';
import { commandEnv, pickEnv, type RunParams } from './command-env.js';

export interface ShellCommandDeps {
  /** Runs a command's shell `run` and builds its environment. */
  shellRunner: ShellRunner;
}

export async function runShellCommand(
  d: ShellCommandDeps,
  command: Command,
  values: Record<string, ArgValue>,
  p: RunParams,
  output: (stream: 'stdout' | 'stderr', data: string) => Promise<void> | undefined,
  onClose: (cb: () => void) => void,
): Promise<{ kind: 'shell'; exitCode: number; signal: string | null }> {
  if (command.run.type !== 'shell') throw new Error('not a shell command');
  const context = createContext(argsLayer(values), { name: 'runtime', values: { project_root: p.project, cwd: p.cwd ?? p.project } });
  let script: string;
  try {
    script = interpolateShell(command.run.shell, context);
  } catch (err) {
    throw new OjError(ErrorCode.BadArguments, `oj run ${command.name}: ${(err as Error).message}`, { kind: 'bad_arguments' });
  }
  // On the caller's basic variables (not the daemon's): see docs/runbooks.md "Environment".
  const env = d.shellRunner.env({
    project: p.project,
    base: p.env ?? {},
    layers: [pickEnv(p.passEnv, command.env.pass), commandEnv(command, values, p)],
  });
  const run = d.shellRunner.run({ script, cwd: p.cwd ?? p.project, env, onOutput: (data, stream) => output(stream, data) });
  onClose(() => run.stop('client disconnected'));
  const o = await run.done;
  return { kind: 'shell', exitCode: o.exitCode ?? (o.signal ? 128 + signalNumber(o.signal) : 1), signal: o.signal };
}

function signalNumber(signal: string): number {
  const table: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return table[signal] ?? 0;
}
