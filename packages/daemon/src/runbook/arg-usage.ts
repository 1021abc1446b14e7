/** `oj run <cmd> --help`: the usage text of a command's ArgSpec. */
import type { ArgSpec, ArgValue, OptionArg, PositionalArg } from './arg-spec.js';

function positionalLabel(arg: PositionalArg): string {
  const inner = arg.variadic ? `${arg.name}...` : arg.name;
  return arg.required ? `<${inner}>` : `[${inner}]`;
}

function optionLabel(option: OptionArg): string {
  const names = option.short === null ? `    --${option.name}` : `-${option.short}, --${option.name}`;
  return option.takesValue ? `${names} <${option.valueName ?? 'value'}>` : names;
}

function synopsisOption(option: OptionArg): string {
  const text = option.takesValue ? `--${option.name} <${option.valueName ?? 'value'}>` : `--${option.name}`;
  return option.required ? text : `[${text}]`;
}

function showDefault(value: ArgValue | undefined): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return ` (default: ${value.map((v) => JSON.stringify(v)).join(' ')})`;
  return ` (default: ${JSON.stringify(value)})`;
}

function positionalNote(arg: PositionalArg): string {
  if (arg.variadic) return arg.required ? 'required, one or more' : 'optional, zero or more';
  return arg.required ? 'required' : 'optional';
}

function optionNote(option: OptionArg): string {
  if (!option.takesValue) return 'flag';
  return option.required ? 'required' : 'optional';
}

function table(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

/**
 * Usage text:
 *
 *   Usage: oj run deploy <env> [--tag <version>] [--force] [targets...]
 *
 *   Arguments:
 *     <env>         required
 *     [targets...]  optional, zero or more
 *
 *   Options:
 *     -t, --tag <version>  optional (default: "latest")
 *     -f, --force          flag
 */
export function formatUsage(commandName: string, spec: ArgSpec, description = ''): string {
  const synopsis = [
    `oj run ${commandName}`,
    ...spec.positionals.filter((p) => p.required).map(positionalLabel),
    ...spec.options.map(synopsisOption),
    ...spec.positionals.filter((p) => !p.required).map(positionalLabel),
  ].join(' ');
  const lines = [`Usage: ${synopsis}`];
  if (description.trim() !== '') lines.push('', description.trim());
  if (spec.positionals.length > 0) {
    lines.push('', 'Arguments:');
    lines.push(...table(spec.positionals.map((p) => [positionalLabel(p), positionalNote(p) + showDefault(spec.defaults[p.name])])));
  }
  if (spec.options.length > 0) {
    lines.push('', 'Options:');
    lines.push(...table(spec.options.map((o) => [optionLabel(o), optionNote(o) + showDefault(spec.defaults[o.name])])));
  }
  if (spec.positionals.length + spec.options.length > 0) {
    lines.push('', 'Arguments can also be given as name=value; "--" ends options.');
  }
  return lines.join('\n');
}
