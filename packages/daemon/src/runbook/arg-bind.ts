/**
 * Binding a command line (`oj run deploy prod -t v1.2 --force api`) to an
 * ArgSpec.
 *
 * Rules:
 * - `--name value`, `--name=value`, `-n value`, `-n=value`, `-nvalue`; flags
 *   `--force`, `-f`, bundles of short flags `-fq`, and `--force=true|false`.
 * - A value that starts with `-` must be attached: `--tag=-rc1`.
 * - Tokens that look like negative numbers (`-5`, `-1.5`) are positional.
 * - `--` ends options: every later token is a positional value, taken literally.
 * - A positional token `name=value` whose `name` is a declared argument binds
 *   that argument (`oj run build name=auth`); `name=value` tokens for
 *   undeclared names, and all tokens after `--`, are ordinary positionals.
 *   For a variadic argument each `name=value` appends one value.
 * - Remaining positionals fill the positional arguments in order; a variadic
 *   one takes the rest.
 * - Unset optional arguments take their default, else "" (value arguments),
 *   false (flags) or [] (variadic).
 * - An option given twice, an unknown option, a missing required argument and
 *   a surplus positional are usage errors.
 */
import type { ArgSpec, ArgValue, OptionArg, PositionalArg } from './arg-spec.js';
import { didYouMean } from './did-you-mean.js';

export type BindResult =
  | { ok: true; values: Record<string, ArgValue> }
  | { ok: false; message: string; hint?: string };

class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;
const NAMED_VALUE = /^([A-Za-z_][A-Za-z0-9_-]*)=([\s\S]*)$/;

function looksLikeOption(token: string): boolean {
  return token.length > 1 && token.startsWith('-') && !NEGATIVE_NUMBER.test(token);
}

function flagValue(option: OptionArg, text: string): boolean {
  if (text === 'true' || text === '') return true;
  if (text === 'false') return false;
  throw new UsageError(`flag --${option.name} takes no value (got "${text}")`, `use --${option.name} or --${option.name}=false`);
}

function optionLabel(option: OptionArg): string {
  return option.takesValue ? `--${option.name} <${option.valueName ?? 'value'}>` : `--${option.name}`;
}

export function bindArgs(spec: ArgSpec, argv: readonly string[]): BindResult {
  try {
    return { ok: true, values: bind(spec, argv) };
  } catch (error) {
    if (error instanceof UsageError) {
      return error.hint === undefined ? { ok: false, message: error.message } : { ok: false, message: error.message, hint: error.hint };
    }
    throw error;
  }
}

function bind(spec: ArgSpec, argv: readonly string[]): Record<string, ArgValue> {
  const values: Record<string, ArgValue> = {};
  const given = new Set<string>();
  const plain: string[] = [];
  const named: Array<[string, string]> = [];

  const setOption = (option: OptionArg, value: ArgValue, spelled: string): void => {
    if (given.has(option.name)) throw new UsageError(`option ${spelled} given more than once`);
    given.add(option.name);
    values[option.name] = value;
  };

  const takeValue = (option: OptionArg, spelled: string, index: number): string => {
    const next = argv[index + 1];
    if (next === undefined) throw new UsageError(`option ${spelled} needs a value`, `usage: ${optionLabel(option)}`);
    if (looksLikeOption(next)) {
      throw new UsageError(
        `option ${spelled} needs a value, got the option "${next}"`,
        `to pass a value that starts with "-", write ${spelled}=${next}`,
      );
    }
    return next;
  };


  let optionsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (optionsEnded) {
      plain.push(token);
      continue;
    }
    if (token === '--') {
      optionsEnded = true;
      continue;
    }
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      const name = token.slice(2, eq === -1 ? undefined : eq);
      const inline = eq === -1 ? undefined : token.slice(eq + 1);
      const option = spec.options.find((o) => o.name === name);
      const spelled = `--${name}`;
      if (option === undefined) throw unknownOption(spec, spelled);
      if (!option.takesValue) setOption(option, flagValue(option, inline ?? ''), spelled);
      else if (inline !== undefined) setOption(option, inline, spelled);
      else {
        setOption(option, takeValue(option, spelled, i), spelled);
        i++;
      }
      continue;
    }
    if (looksLikeOption(token)) {
      const body = token.slice(1);
      const spelled = `-${body[0] ?? ''}`;
      const first = spec.options.find((o) => o.short === body[0]);
      if (first === undefined) throw unknownOption(spec, spelled);
      if (first.takesValue) {
        const rest = body.slice(1);
        if (rest === '') {
          setOption(first, takeValue(first, spelled, i), spelled);
          i++;
        } else setOption(first, rest.startsWith('=') ? rest.slice(1) : rest, spelled);
        continue;
      }
      if (body[1] === '=') {
        setOption(first, flagValue(first, body.slice(2)), spelled);
        continue;
      }
      for (const letter of body) {
        const option = spec.options.find((o) => o.short === letter);
        if (option === undefined) throw unknownOption(spec, `-${letter}`);
        if (option.takesValue) {
          throw new UsageError(
            `-${letter} takes a value and cannot be bundled in "${token}"`,
            `write -${letter} <${option.valueName ?? 'value'}> separately`,
          );
        }
        setOption(option, true, `-${letter}`);
      }
      continue;
    }
    const match = NAMED_VALUE.exec(token);
    if (match !== null && isDeclared(spec, match[1]!)) named.push([match[1]!, match[2]!]);
    else plain.push(token);
  }

  bindNamed(spec, named, values, given);
  bindPositionals(spec.positionals, plain, values, given);
  fillDefaults(spec, values, given);
  return values;
}

function unknownOption(spec: ArgSpec, spelled: string): UsageError {
  const known = spec.options.flatMap((o) => (o.short === null ? [`--${o.name}`] : [`--${o.name}`, `-${o.short}`]));
  const hint =
    didYouMean(spelled, known) ?? (known.length === 0 ? 'this command takes no options' : `options: ${known.join(', ')}`);
  return new UsageError(`unknown option ${spelled}`, hint);
}

function isDeclared(spec: ArgSpec, name: string): boolean {
  return spec.positionals.some((p) => p.name === name) || spec.options.some((o) => o.name === name);
}

function bindNamed(spec: ArgSpec, named: Array<[string, string]>, values: Record<string, ArgValue>, given: Set<string>): void {
  for (const [name, value] of named) {
    const positional = spec.positionals.find((p) => p.name === name);
    if (positional?.variadic) {
      const list = values[name];
      values[name] = Array.isArray(list) ? [...list, value] : [value];
      given.add(name);
      continue;
    }
    if (given.has(name)) throw new UsageError(`argument "${name}" given more than once`);
    given.add(name);
    const option = spec.options.find((o) => o.name === name);
    values[name] = option !== undefined && !option.takesValue ? flagValue(option, value) : value;
  }
}

function bindPositionals(
  positionals: readonly PositionalArg[],
  plain: readonly string[],
  values: Record<string, ArgValue>,
  given: Set<string>,
): void {
  const queue = [...plain];
  for (const arg of positionals) {
    if (arg.variadic) {
      const already = values[arg.name];
      const list = Array.isArray(already) ? already : [];
      values[arg.name] = [...list, ...queue.splice(0)];
      if ((values[arg.name] as string[]).length > 0) given.add(arg.name);
      continue;
    }
    if (given.has(arg.name)) continue;
    const value = queue.shift();
    if (value === undefined) continue;
    values[arg.name] = value;
    given.add(arg.name);
  }
  const surplus = queue[0];
  if (surplus !== undefined) {
    throw new UsageError(
      `unexpected argument "${surplus}"`,
      positionals.length === 0
        ? 'this command takes no positional arguments'
        : `expected at most ${positionals.length} positional argument(s)`,
    );
  }
}

function fillDefaults(spec: ArgSpec, values: Record<string, ArgValue>, given: Set<string>): void {
  for (const arg of spec.positionals) {
    if (given.has(arg.name)) continue;
    if (arg.required) {
      throw new UsageError(
        arg.variadic ? `missing required argument <${arg.name}...> (at least one value)` : `missing required argument <${arg.name}>`,
      );
    }
    const fallback = spec.defaults[arg.name];
    values[arg.name] = fallback !== undefined ? copy(fallback) : arg.variadic ? [] : '';
  }
  for (const option of spec.options) {
    if (given.has(option.name)) continue;
    if (option.required) throw new UsageError(`missing required option ${optionLabel(option)}`);
    const fallback = spec.defaults[option.name];
    values[option.name] = fallback !== undefined ? copy(fallback) : option.takesValue ? '' : false;
  }
}

function copy(value: ArgValue): ArgValue {
  return Array.isArray(value) ? [...value] : value;
}
