/**
 * The `env` field of a command or a pipeline: which of the caller's
 * environment variables pass through, and which are set.
 *
 *   env = ["AWS_PROFILE", "FOO"]            pass these through from `oj run`'s environment
 *   env = { STAGE = "prod", TAG = "{tag}" }  set these (plain text, placeholders filled)
 *   env = ["FOO", { STAGE = "prod" }]       both
 *
 * A set value reaches the process as an environment variable, never as shell
 * code. Names starting with OJ_ are oj's own and cannot be passed or set.
 */
import type { EnvSpec } from './model.js';
import type { ParseContext } from './parse-context.js';
import type { TableReader } from './table-reader.js';
import { describeValue, isTable, type TomlTable } from './toml-value.js';

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const EMPTY_ENV: EnvSpec = { pass: [], set: {} };

const SHAPE_HINT = 'env = ["NAME", ...] passes variables through; env = { NAME = "value" } sets them; ["NAME", { OTHER = "value" }] does both';

/** Problem with a variable name, or null when it may be used. */
function nameProblem(name: string): { message: string; hint?: string } | null {
  if (!ENV_NAME.test(name)) return { message: `"${name}" is not a valid environment variable name`, hint: 'use letters, digits and _, not starting with a digit' };
  if (name.startsWith('OJ_')) return { message: `${name} is set by oj itself`, hint: 'OJ_* variables (OJ_SOCKET, OJ_PIPELINE, ...) cannot be passed through or set by a runbook' };
  return null;
}

/**
 * Reads `env`. `known`/`knownLabel`: the placeholder names a set value may use
 * (checked here, at load).
 */
export function parseEnv(ctx: ParseContext, reader: TableReader, known: readonly string[], knownLabel: string): EnvSpec {
  const raw = reader.raw('env');
  if (raw === undefined) return EMPTY_ENV;
  const pass: string[] = [];
  const set: Record<string, string> = {};
  const passName = (value: unknown, field: string) => {
    if (typeof value !== 'string') {
      reader.error(field, `expected a variable name or a table of values, got ${describeValue(value)}`, SHAPE_HINT);
      return;
    }
    const problem = nameProblem(value);
    if (problem) reader.error(field, problem.message, problem.hint);
    else if (pass.includes(value)) reader.error(field, `${value} is listed twice`);
    else pass.push(value);
  };
  const setTable = (table: TomlTable, prefix: string) => {
    for (const [name, value] of Object.entries(table)) {
      const field = `${prefix}.${name}`;
      const problem = nameProblem(name);
      if (problem) {
        reader.error(field, problem.message, problem.hint);
        continue;
      }
      let text: string;
      if (typeof value === 'string') text = value;
      else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
      else {
        reader.error(field, `expected a string, got ${describeValue(value)}`);
        continue;
      }
      if (text.includes('\0')) {
        reader.error(field, 'the value holds a NUL character, which no environment variable can hold');
        continue;
      }
      if (Object.hasOwn(set, name)) {
        reader.error(field, `${name} is set twice`);
        continue;
      }
      set[name] = text;
      ctx.checkPlaceholders(text, false, known, reader.at(field), knownLabel);
    }
  };
  if (Array.isArray(raw)) {
    raw.forEach((item, index) => {
      if (isTable(item)) setTable(item, `env[${index}]`);
      else passName(item, `env[${index}]`);
    });
  } else if (isTable(raw)) {
    setTable(raw, 'env');
  } else {
    reader.error('env', `expected a list of variable names or a table of values, got ${describeValue(raw)}`, SHAPE_HINT);
  }
  for (const name of pass) {
    if (Object.hasOwn(set, name)) reader.error('env', `${name} is both passed through and set`, 'a set value replaces a passed one: keep one of them');
  }
  return { pass, set };
}
