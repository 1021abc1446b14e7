/**
 * Items from `oj queue add` arguments. Either key=value pairs (one item):
 * `title="Login fails" priority=2`, where a value that is a plain number
 * (`2`, `-1.5`, not `007`) is stored as a number and `key:=<json>` stores
 * any JSON value (`tags:='["ui"]'`, `id:='"007"'`); or JSON texts, each an
 * object (one item) or an array of objects (many items).
 */
import { UsageError } from '../output/print.js';

export function parseItemArgs(args: readonly string[]): Record<string, unknown>[] {
  if (args.length === 0) throw new UsageError('give the item as key=value pairs or a JSON object');
  const json = args.filter((a) => /^\s*[[{]/.test(a));
  if (json.length > 0) {
    if (json.length !== args.length) throw new UsageError('give either key=value pairs or JSON objects, not both');
    return args.flatMap((a) => parseJsonItems(a, 'argument'));
  }
  const item: Record<string, unknown> = {};
  for (const a of args) {
    const typed = /^([^=:]+):=(.*)$/s.exec(a);
    if (typed) {
      const key = checkKey(typed[1]!, a);
      try {
        item[key] = JSON.parse(typed[2]!) as unknown;
      } catch {
        throw new UsageError(`${a}: the value after := must be JSON`);
      }
      continue;
    }
    const i = a.indexOf('=');
    if (i <= 0) throw new UsageError(`expected key=value or a JSON object, got "${a}"`);
    item[checkKey(a.slice(0, i), a)] = scalar(a.slice(i + 1));
  }
  return [item];
}

/** A JSON text: one object, an array of objects, or (from stdin) one object per line. */
export function parseJsonItems(text: string, what: string): Record<string, unknown>[] {
  let values: unknown[];
  try {
    const v: unknown = JSON.parse(text);
    values = Array.isArray(v) ? v : [v];
  } catch {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    try {
      values = lines.map((l) => JSON.parse(l) as unknown);
    } catch {
      throw new UsageError(`${what} is not JSON: ${JSON.stringify(text.slice(0, 60))}`);
    }
  }
  return values.map((v, i) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`${what}: item ${i + 1} is not a JSON object`);
    return v as Record<string, unknown>;
  });
}

function checkKey(key: string, arg: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) throw new UsageError(`"${arg}": field names are letters, digits, _ and -`);
  return key;
}

function scalar(v: string): unknown {
  if (/^-?(0|[1-9]\d*)(\.\d+)?$/.test(v) && String(Number(v)) === v) return Number(v);
  return v;
}
