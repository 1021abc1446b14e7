/**
 * Quoting a literal value for the bash quoting context it is inserted into.
 * Every form ends up as a single-quoted string, inside which bash gives no
 * character a meaning; a `'` in the value is written `'\''` (close, escaped
 * quote, reopen).
 */
import type { ShellContext } from './shell-scanner.js';

/** `it's` -> `'it'\''s'`; the empty string -> `''`. */
export function quoteWord(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The text to insert for a value standing in `context`:
 * - bare: `'value'`
 * - inside "...": `"'value'"` (close the double quote, the literal, reopen)
 * - inside '...': the value with `'` as `'\''` (the surrounding quotes do the rest)
 * - inside $'...': `''value'$'` (close, the literal, reopen)
 */
export function quoteForContext(text: string, context: ShellContext): string {
  switch (context) {
    case 'bare':
      return quoteWord(text);
    case 'double':
      return `"${quoteWord(text)}"`;
    case 'single':
      return text.replaceAll("'", `'\\''`);
    case 'ansi':
      return `'${quoteWord(text)}$'`;
  }
}
