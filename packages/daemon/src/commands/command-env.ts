/** What a runbook command passes to what it runs: its callers' variables it lets through, its `env` table, its arguments as JSON. */
import { ErrorCode, OjError, type JsonValue } from '@oj/protocol';
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
  const out: Record<string, string> = {};
  for (const name of names) if (offered && Object.hasOwn(offered, name)) out[name] = offered[name]!;
  registerSecretEnv(out); // a secret-named value is redacted in ojd's log from now on
  return out;
}

/** A command's `env` table, filled with its arguments as plain text (never run as shell code). */
export function commandEnv(command: Command, values: Record<string, ArgValue>, p: RunParams): Record<string, string> {
  const entries = Object.entries(command.env.set);
  if (entries.length === 0) return {};
  const context = createContext(argsLayer(values), { name: 'runtime', values: { project_root: p.project, cwd: p.cwd ?? p.project } });
  const out: Record<string, string> = {};
  for (const [name, template] of entries) {
    try {
      out[name] = interpolateText(template, context);
    } catch (err) {
      throw new OjError(ErrorCode.BadArguments, `oj run ${command.name}: env ${name}: ${(err as Error).message}`, { kind: 'bad_arguments' });
    }
  }
  registerSecretEnv(out);
  return out;
}

export function toJson(values: Record<string, ArgValue>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(values)) out[k] = Array.isArray(v) ? [...v] : v;
  return out;
}

