/** What a runbook command passes to what it runs: its callers' variables it lets through, its `env` table, its arguments as JSON. */
import { ErrorCode, OjError, type JsonValue } from '@oj/protocol';
import { EnvValueError, filledEnv, passedThrough } from '../adapters/child-env.js';
import { registerSecretEnv } from '../log/redact.js';
import { argsLayer, createContext, interpolateText, type ArgValue, type Command, type Project } from '../runbook/index.js';

export type RunParams = { project: string; cwd?: string | undefined; env?: Record<string, string> | undefined; passEnv?: Record<string, string> | undefined };

/** The names a command passes through from its caller: its own `env` list and, for a pipeline command, the pipeline's. */
export function passNames(project: Project, command: Command): string[] {
  const names = [...command.env.pass];
  if (command.run.type === 'pipeline') {
    for (const n of project.deref('pipeline', command.run.pipeline).env.pass) if (!names.includes(n)) names.push(n);
  }
  return names;
}

/** The offered variables the runbook lets through; the others are dropped. */
export function pickEnv(offered: Record<string, string> | undefined, names: readonly string[]): Record<string, string> {
  const out = passedThrough(offered, names);
  registerSecretEnv(out); // a secret-named value is redacted in ojd's log from now on
  return out;
}

/** A command's `env` table, filled with its arguments as plain text (never run as shell code). */
export function commandEnv(command: Command, values: Record<string, ArgValue>, p: RunParams): Record<string, string> {
  if (Object.keys(command.env.set).length === 0) return {};
  const context = createContext(argsLayer(values), { name: 'runtime', values: { project_root: p.project, cwd: p.cwd ?? p.project } });
  try {
    const out = filledEnv(command.env.set, (template) => interpolateText(template, context));
    registerSecretEnv(out);
    return out;
  } catch (err) {
    if (!(err instanceof EnvValueError)) throw err;
    throw new OjError(ErrorCode.BadArguments, `oj run ${command.name}: ${err.message}`, { kind: 'bad_arguments' });
  }
}

export function toJson(values: Record<string, ArgValue>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(values)) out[k] = Array.isArray(v) ? [...v] : v;
  return out;
}

