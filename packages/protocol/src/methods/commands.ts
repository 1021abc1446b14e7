/** Runbook commands: `oj run`. */
import { z } from 'zod';
import { method, notification } from '../rpc.js';
import type { PipelineInfo } from './pipelines.js';

export interface CommandInfo {
  name: string;
  runbook: string;
  /** The synopsis, e.g. `deploy <env> [--tag <version>]`. */
  usage: string;
  /** What `oj run <name> --help` prints: usage, description, arguments and options. */
  help: string;
  description: string | null;
  runs: 'shell' | 'pipeline';
}

export const List = method<{ commands: CommandInfo[]; errors: string[] }>()(
  'commands.list',
  z.object({ project: z.string().min(1) }).strict(),
  "The project's runbook commands, with usage and description; `errors` lists runbooks that fail to load.",
);

export const Run = method<
  | { kind: 'shell'; exitCode: number; signal: string | null }
  | { kind: 'pipeline'; pipeline: PipelineInfo }
>()(
  'commands.run',
  z
    .object({
      project: z.string().min(1),
      command: z.string().min(1),
      args: z.array(z.string()),
      cwd: z.string().optional(),
      env: z.record(z.string(), z.string()).optional(),
    })
    .strict(),
  'Run a runbook command with its arguments. A shell command streams `commands.output` notifications and answers with its exit code; a pipeline command answers with the new pipeline.',
);

export const Output = notification<{ stream: 'stdout' | 'stderr'; data: string }>()(
  'commands.output',
  'Output of a shell command started by commands.run on this connection.',
);
