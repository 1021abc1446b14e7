/** `[command.<name>]`: a user-facing entrypoint with arguments. */
import { parseArgSpec, type ArgSpec } from './arg-spec.js';
import type { Command } from './model.js';
import type { ParseContext } from './parse-context.js';
import { EMPTY_ENV, parseEnv } from './parse-env.js';
import { COMMAND_RUNTIME_NAMES } from './runtime-names.js';
import type { TomlTable } from './toml-value.js';

export const COMMAND_FIELDS = ['description', 'args', 'aliases', 'defaults', 'run', 'env'] as const;

const EMPTY_SPEC: ArgSpec = { text: '', positionals: [], options: [], defaults: {} };

export function parseCommand(ctx: ParseContext, name: string, table: TomlTable): Command {
  const location = ctx.location('command', name);
  const reader = ctx.open(table, location, COMMAND_FIELDS, 'a command');
  const description = reader.string('description') ?? '';
  const argsText = reader.string('args') ?? '';
  const aliases = reader.stringMap('aliases') ?? {};
  const defaults = reader.subtable('defaults') ?? {};
  const parsed = parseArgSpec(argsText, aliases, defaults);
  let args = EMPTY_SPEC;
  if (parsed.ok) args = parsed.spec;
  else for (const error of parsed.errors) ctx.sink.add({ ...location, field: error.field }, error.message, error.hint);

  const run = ctx.runTarget(reader, 'run', { required: true });
  const known = [...args.positionals.map((p) => p.name), ...args.options.map((o) => o.name), ...COMMAND_RUNTIME_NAMES];
  if (run?.type === 'shell' && parsed.ok) {
    ctx.checkPlaceholders(run.shell, true, known, reader.at('run'), 'arguments and runtime values');
  }
  const env = parsed.ok ? parseEnv(ctx, reader, known, 'arguments and runtime values') : EMPTY_ENV;
  return { ...ctx.base('command', name), description, args, run: run ?? { type: 'shell', shell: '' }, env };
}
