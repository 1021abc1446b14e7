/**
 * Agent `inputs`: each `source` command runs at render time, through an
 * executor the caller supplies (the runbook library never spawns processes).
 * Its output, parsed as JSON when it is JSON and otherwise trimmed text, is
 * available to the prompt under the input's name. Inputs run in order and a
 * later source may use an earlier input's value.
 */
import type { InterpolationContext } from './interpolation-context.js';
import type { AgentInput } from './model.js';
import { interpolateShell } from './shell-interpolate.js';

export interface ExecResult {
  stdout: string;
  exitCode: number;
  stderr?: string;
  /** Why the command did not run to its end ("timed out after 2m", "stopped: ..."), if so. */
  failed?: string;
}

/** Runs a shell command (`bash -c`) in `cwd`. */
export type CommandExecutor = (command: string, cwd: string) => Promise<ExecResult>;

export class AgentInputError extends Error {
  override readonly name = 'AgentInputError';
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(`input "${input}": ${message}`);
  }
}

/** JSON when the trimmed output parses as JSON, else the trimmed text. */
export function parseSourceOutput(stdout: string): unknown {
  const text = stdout.trim();
  if (text === '') return '';
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export async function evaluateAgentInputs(
  inputs: readonly AgentInput[],
  context: InterpolationContext,
  executor: CommandExecutor,
  cwd: string,
): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  let scope = context;
  for (const input of inputs) {
    let command: string;
    try {
      command = interpolateShell(input.source, scope);
    } catch (error) {
      throw new AgentInputError(input.name, error instanceof Error ? error.message : String(error));
    }
    const result = await executor(command, cwd);
    if (result.failed !== undefined) throw new AgentInputError(input.name, `source ${result.failed}`);
    if (result.exitCode !== 0) {
      const detail = (result.stderr ?? '').trim().split('\n')[0] ?? '';
      throw new AgentInputError(input.name, `source exited with ${result.exitCode}${detail === '' ? '' : `: ${detail}`}`);
    }
    values[input.name] = parseSourceOutput(result.stdout);
    scope = context.with({ name: 'inputs', values: { ...values } });
  }
  return values;
}
