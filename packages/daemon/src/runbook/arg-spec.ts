/**
 * The `args` grammar of a command, parsed into an ArgSpec.
 *
 *   <name>                required positional
 *   [name]                optional positional
 *   <files...>            required variadic (1 or more), last positional only
 *   [files...]            optional variadic (0 or more), last positional only
 *   --flag   [--flag]     boolean flag (always optional; false unless given)
 *   --opt <val>           required option with a value
 *   [--opt <val>]         optional option with a value
 *   -a/--after <dep>      the same with an inline short alias (also in [...])
 *
 * Short aliases can also be given separately: `aliases = { f = "force" }`.
 * `defaults` gives values for optional arguments.
 */
import { didYouMean } from './did-you-mean.js';

export interface PositionalArg {
  kind: 'positional';
  name: string;
  required: boolean;
  variadic: boolean;
}

export interface OptionArg {
  kind: 'option';
  /** The long name without dashes; also the key the value is bound to. */
  name: string;
  /** One character, without the dash, or null. */
  short: string | null;
  /** False for a boolean flag. */
  takesValue: boolean;
  /** The `<val>` name shown in usage, or null for flags. */
  valueName: string | null;
  required: boolean;
}

export type ArgValue = string | boolean | string[];

export interface ArgSpec {
  /** The `args` text with whitespace collapsed. */
  text: string;
  positionals: PositionalArg[];
  options: OptionArg[];
  /** Defaults for optional arguments, keyed by argument name. */
  defaults: Record<string, ArgValue>;
}

export interface ArgSpecError {
  /** Which command field the problem is in. */
  field: 'args' | 'aliases' | 'defaults';
  message: string;
  hint?: string;
}

export type ArgSpecResult = { ok: true; spec: ArgSpec } | { ok: false; errors: ArgSpecError[] };

const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const LONG_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const SHORT_NAME = /^[A-Za-z0-9]$/;
const RESERVED_LONG = ['help'];
const RESERVED_SHORT = ['h'];

/** An element of the spec: a bare word or the inside of a `[...]` group. */
interface Group {
  optional: boolean;
  words: string[];
  source: string;
}

function splitGroups(text: string, errors: ArgSpecError[]): Group[] {
  const groups: Group[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '[') {
      const close = text.indexOf(']', i);
      const nested = text.indexOf('[', i + 1);
      if (close === -1) {
        errors.push({ field: 'args', message: `unclosed "[" at column ${i + 1}` });
        return groups;
      }
      if (nested !== -1 && nested < close) {
        errors.push({ field: 'args', message: `"[" groups cannot be nested (column ${nested + 1})` });
        return groups;
      }
      const inner = text.slice(i + 1, close);
      groups.push({ optional: true, words: inner.trim().split(/\s+/).filter((w) => w !== ''), source: text.slice(i, close + 1) });
      i = close + 1;
      continue;
    }
    if (ch === ']') {
      errors.push({ field: 'args', message: `unexpected "]" at column ${i + 1}` });
      i++;
      continue;
    }
    let end = i;
    while (end < text.length && !/\s/.test(text[end]!) && text[end] !== '[' && text[end] !== ']') end++;
    const word = text.slice(i, end);
    groups.push({ optional: false, words: [word], source: word });
    i = end;
  }
  return groups;
}

/** `-a/--after` or `--after` -> names, or an error message. */
function parseOptionWord(word: string): { long: string; short: string | null } | string {
  const match = /^(?:-([^-/]+)\/)?--(.+)$/.exec(word);
  if (match === null) {
    if (/^-[^-]/.test(word)) {
      return `"${word}": a short option needs a long name; write "${word}/--name" or use aliases = { ${word.slice(1)} = "name" }`;
    }
    return `"${word}" is not an option`;
  }
  const short = match[1] ?? null;
  const long = match[2]!;
  if (!LONG_NAME.test(long)) return `"--${long}" is not a valid option name`;
  if (short !== null && !SHORT_NAME.test(short)) return `"-${short}": a short alias is one letter or digit`;
  return { long, short };
}

/** `<name>` -> { name, variadic } or null. */
function parseValueWord(word: string, brackets: '<>' | 'none'): { name: string; variadic: boolean } | null {
  const inner = brackets === '<>' ? /^<(.+)>$/.exec(word)?.[1] : word;
  if (inner === undefined) return null;
  const variadic = inner.endsWith('...');
  const name = variadic ? inner.slice(0, -3) : inner;
  return ARG_NAME.test(name) ? { name, variadic } : null;
}

export function parseArgSpec(
  text: string,
  aliases: Readonly<Record<string, string>> = {},
  defaults: Readonly<Record<string, unknown>> = {},
): ArgSpecResult {
  const errors: ArgSpecError[] = [];
  const positionals: PositionalArg[] = [];
  const options: OptionArg[] = [];
  const bad = (message: string, hint?: string): void => {
    errors.push(hint === undefined ? { field: 'args', message } : { field: 'args', message, hint });
  };

  const groups = splitGroups(text, errors);
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    const [first, second, ...rest] = group.words;
    if (first === undefined) {
      bad(`empty group "${group.source}"`);
      continue;
    }
    if (first.startsWith('-')) {
      const names = parseOptionWord(first);
      if (typeof names === 'string') {
        bad(names);
        continue;
      }
      let valueWord = second;
      if (!group.optional && valueWord === undefined) {
        // `--opt <val>` written as two bare words: take the value from the next group.
        const next = groups[g + 1];
        if (next !== undefined && !next.optional && next.words[0]?.startsWith('<')) {
          valueWord = next.words[0];
          g++;
        }
      }
      if (rest.length > 0) bad(`"${group.source}": too many words in one group`);
      let valueName: string | null = null;
      if (valueWord !== undefined) {
        const value = parseValueWord(valueWord, '<>');
        if (value === null || value.variadic) {
          bad(`"${group.source}": the value of --${names.long} must look like <value>`);
          continue;
        }
        valueName = value.name;
      }
      options.push({
        kind: 'option',
        name: names.long,
        short: names.short,
        takesValue: valueName !== null,
        valueName,
        required: valueName !== null && !group.optional,
      });
      continue;
    }
    if (second !== undefined) {
      bad(`"${group.source}": a positional argument is one word`);
      continue;
    }
    const value = parseValueWord(first, group.optional ? 'none' : '<>');
    if (value === null) {
      bad(
        `"${group.source}" is not an argument`,
        group.optional ? 'optional arguments look like [name] or [name...]' : 'required arguments look like <name> or <name...>',
      );
      continue;
    }
    positionals.push({ kind: 'positional', name: value.name, required: !group.optional, variadic: value.variadic });
  }

  checkPositionalOrder(positionals, bad);
  checkOptionNames(options, positionals, bad);
  applyAliases(options, aliases, errors);
  const boundDefaults = checkDefaults(positionals, options, defaults, errors);

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    spec: { text: text.trim().replace(/\s+/g, ' '), positionals, options, defaults: boundDefaults },
  };
}

function checkPositionalOrder(positionals: PositionalArg[], bad: (message: string, hint?: string) => void): void {
  let sawOptional = false;
  positionals.forEach((arg, index) => {
    if (arg.variadic && index !== positionals.length - 1) {
      bad(`variadic argument "${arg.name}..." must be the last positional argument`);
    }
    if (arg.required && sawOptional) {
      bad(`required argument <${arg.name}> comes after an optional one`, 'put required positional arguments first');
    }
    if (!arg.required) sawOptional = true;
  });
}

function checkOptionNames(
  options: OptionArg[],
  positionals: PositionalArg[],
  bad: (message: string, hint?: string) => void,
): void {
  const seen = new Set<string>();
  for (const name of [...positionals.map((p) => p.name), ...options.map((o) => o.name)]) {
    if (seen.has(name)) bad(`argument "${name}" is declared twice`);
    seen.add(name);
  }
  const shorts = new Set<string>();
  for (const option of options) {
    if (RESERVED_LONG.includes(option.name)) bad(`--${option.name} is reserved for usage help`);
    if (option.short === null) continue;
    if (RESERVED_SHORT.includes(option.short)) bad(`-${option.short} is reserved for usage help`);
    if (shorts.has(option.short)) bad(`short option -${option.short} is used twice`);
    shorts.add(option.short);
  }
}

function applyAliases(options: OptionArg[], aliases: Readonly<Record<string, string>>, errors: ArgSpecError[]): void {
  for (const [short, target] of Object.entries(aliases)) {
    const fail = (message: string, hint?: string): void => {
      errors.push(hint === undefined ? { field: 'aliases', message } : { field: 'aliases', message, hint });
    };
    if (!SHORT_NAME.test(short)) {
      fail(`alias "${short}": a short alias is one letter or digit`);
      continue;
    }
    if (RESERVED_SHORT.includes(short)) {
      fail(`alias "${short}": -${short} is reserved for usage help`);
      continue;
    }
    const option = options.find((o) => o.name === target);
    if (option === undefined) {
      fail(
        `alias "${short}" names "${target}", which is not an option in args`,
        didYouMean(target, options.map((o) => o.name)) ?? 'aliases map a letter to a --name declared in args',
      );
      continue;
    }
    const clash = options.find((o) => o.short === short && o !== option);
    if (clash !== undefined) {
      fail(`alias "${short}" is already -${short} for --${clash.name}`);
      continue;
    }
    if (option.short !== null && option.short !== short) {
      fail(`--${target} already has the short alias -${option.short}`);
      continue;
    }
    option.short = short;
  }
}

function checkDefaults(
  positionals: PositionalArg[],
  options: OptionArg[],
  defaults: Readonly<Record<string, unknown>>,
  errors: ArgSpecError[],
): Record<string, ArgValue> {
  const out: Record<string, ArgValue> = {};
  const names = [...positionals.map((p) => p.name), ...options.map((o) => o.name)];
  for (const [name, value] of Object.entries(defaults)) {
    const fail = (message: string, hint?: string): void => {
      errors.push(hint === undefined ? { field: 'defaults', message } : { field: 'defaults', message, hint });
    };
    const positional = positionals.find((p) => p.name === name);
    const option = options.find((o) => o.name === name);
    if (positional === undefined && option === undefined) {
      fail(`default for "${name}", which is not an argument in args`, didYouMean(name, names));
      continue;
    }
    if (positional?.required || option?.required) {
      const shown = positional ? `<${name}>` : `--${name}`;
      const optional = positional ? `[${name}]` : `[--${name} <${option?.valueName ?? 'value'}>]`;
      fail(`"${name}" is required, so a default is never used`, `make it optional: ${optional} instead of ${shown}`);
      continue;
    }
    if (option !== undefined && !option.takesValue) {
      if (typeof value === 'boolean') out[name] = value;
      else fail(`default for flag --${name} must be true or false`);
      continue;
    }
    if (positional?.variadic) {
      if (typeof value === 'string') out[name] = [value];
      else if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) out[name] = [...value];
      else fail(`default for "${name}..." must be a string or an array of strings`);
      continue;
    }
    if (typeof value === 'string') out[name] = value;
    else if (typeof value === 'number' || typeof value === 'bigint') out[name] = String(value);
    else fail(`default for "${name}" must be a string or a number`);
  }
  return out;
}
