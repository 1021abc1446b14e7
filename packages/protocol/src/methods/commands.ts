/** Runbook commands: `oj run`. */
import { z } from 'zod';
import { method, notification } from '../rpc.js';
import { once } from '../once.js';
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
  /** Variables of the caller's environment it passes through (its own and its pipeline's `env` lists): what `oj run` sends as `passEnv`. */
  env: string[];
}

/** An environment variable name (as a runbook's `env` accepts it). */
const EnvName = once(() => z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name: letters, digits and _'));
/** An environment value: any text but NUL, which no environment variable can hold. */
const EnvValue = once(() => z.string().refine((v) => !v.includes('\0'), 'an environment value cannot hold a NUL character'));

export const List = method<{ commands: CommandInfo[]; errors: string[] }>()(
  'commands.list',
  () => z.object({ project: z.string().min(1) }).strict(),
  "The project's runbook commands, with usage and description; `errors` lists runbooks that fail to load.",
);

export const Run = method<
  | { kind: 'shell'; exitCode: number; signal: string | null }
  | { kind: 'pipeline'; pipeline: PipelineInfo }
>()(
  'commands.run',
  () =>
    z
      .object({
        project: z.string().min(1),
        command: z.string().min(1),
        args: z.array(z.string()),
        cwd: z.string().optional(),
        /** The caller's basic environment (PATH, HOME, LANG, TERM...): the base of a shell command's environment. */
        env: z.record(EnvName(), EnvValue()).optional(),
        /**
         * Variables of the caller's environment offered for passing through; only
         * those the command's or its pipeline's `env` list names are used, the rest
         * are dropped (commands.list says which names a command takes).
         */
        passEnv: z.record(EnvName(), EnvValue()).optional(),
      })
      .strict(),
  "Run a runbook command with its arguments. A shell command streams `commands.output` notifications and answers with its exit code; a pipeline command answers with the new pipeline. `passEnv` offers the caller's variables; the runbook's `env` lists decide which are used.",
);

export const Output = notification<{ stream: 'stdout' | 'stderr'; data: string }>()(
  'commands.output',
  'Output of a shell command started by commands.run on this connection.',
);
