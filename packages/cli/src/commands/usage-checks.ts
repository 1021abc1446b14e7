/**
 * Usage errors yargs leaves unclear: a number option given a word (yargs
 * makes it NaN, which JSON sends as null and the daemon then rejects with a
 * message naming `null`), and an unknown option with no "did you mean".
 */
import { closest } from '@oj/daemon/did-you-mean';
import type { Argv } from 'yargs';

/** Options whose commands check them with a message of their own (limit-option.ts). */
const CHECKED_ELSEWHERE = new Set(['limit']);

/** The first number option or positional given something that is not a number, as a usage message; else null. */
export function notANumber(argv: Record<string, unknown>, raw: readonly string[]): string | null {
  const bad = Object.entries(argv)
    .filter(([, v]) => typeof v === 'number' && Number.isNaN(v))
    .map(([k]) => k);
  if (bad.length === 0 || bad.some((k) => CHECKED_ELSEWHERE.has(k))) return null;
  for (const key of bad) {
    const flag = key.length === 1 ? `-${key}` : `--${key}`;
    const i = raw.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
    if (i < 0) continue;
    const token = raw[i]!;
    const given = token.includes('=') ? token.slice(token.indexOf('=') + 1) : (raw[i + 1] ?? '');
    return `${flag} takes a number, got "${given}"`;
  }
  // Not an option on the command line: a positional (`oj escalation show abc`).
  return `<${bad[0]}> takes a number`;
}

/**
 * "did you mean --force?" for each unknown option yargs names in `message`
 * ("Unknown argument: fore", "Unknown arguments: fore, bar"), from the
 * options the command has (`known`: names without dashes, aliases included).
 */
export function optionSuggestions(message: string, known: readonly string[]): string[] {
  const m = /^Unknown arguments?: (.+)$/.exec(message.trim());
  if (!m) return [];
  const dashed = known.filter((k) => k.length > 1).map((k) => `--${k}`);
  const out: string[] = [];
  for (const name of m[1]!.split(', ')) {
    const word = name.length === 1 ? `-${name}` : `--${name}`;
    const guess = closest(word, dashed);
    if (guess) out.push(`Did you mean ${guess}?`);
  }
  return out;
}

/** The option names (and aliases) of the command yargs is parsing, as written (no camelCase copies). */
export function knownOptions(y: Argv): string[] {
  // getOptions() is yargs' own (used by its completion), missing from its typings.
  const options = (y as unknown as { getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]> } }).getOptions();
  return [...Object.keys(options.key), ...Object.values(options.alias).flat()].filter((k) => !/[A-Z]/.test(k));
}
