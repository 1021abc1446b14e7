/**
 * Injection-safe interpolation of placeholders into shell strings.
 *
 * Each value reaches the command as literal text, whatever it contains
 * (quotes, `$( )`, backticks, `;`, newlines, globs, spaces, the empty
 * string): the scanner finds the quoting context of each placeholder and the
 * value is single-quoted for that context. A value can never end a quote,
 * start a command, expand a variable, glob, or split into several words.
 *
 * Word lists (variadic arguments) standing bare become one quoted word per
 * item (none for an empty list); inside quotes they are joined with spaces.
 * Values containing a NUL byte are refused (bash cannot pass them).
 *
 * Where bash would evaluate even a quoted value as code (array subscripts,
 * arithmetic, variable names: shell-code-context.ts) the template is refused.
 */
import { InterpolationError, WordList, type InterpolationContext } from './interpolation-context.js';
import type { PlaceholderMatch } from './placeholder.js';
import { quoteForContext, quoteWord } from './shell-quote.js';
import { checkShell } from './shell-check.js';
import type { ShellContext, ShellRedirect } from './shell-scanner.js';
import { valueToText } from './value-text.js';

function insert(value: unknown, context: ShellContext, placeholder: string): string {
  if (value instanceof WordList && context === 'bare') {
    value.words.forEach((word) => refuseNul(word, placeholder));
    return value.words.map(quoteWord).join(' ');
  }
  const text = valueToText(value, placeholder);
  refuseNul(text, placeholder);
  return quoteForContext(text, context);
}

function refuseNul(text: string, placeholder: string): void {
  if (text.includes('\0')) {
    throw new InterpolationError(`the value of ${placeholder} contains a NUL byte, which a shell argument cannot hold`, placeholder);
  }
}

/** Fill every placeholder of a shell string; throws InterpolationError. */
export function interpolateShell(template: string, context: InterpolationContext): string {
  const scan = checkShell(template);
  if (!scan.ok) throw new InterpolationError(scan.message, '', scan.hint);
  let out = '';
  for (const part of scan.parts) {
    if (part.type === 'text') out += part.text;
    else out += insert(context.require(part.match.segments), part.context, `{${part.match.path}}`);
  }
  return out;
}

export type ShellTemplateCheck =
  | { ok: true; placeholders: PlaceholderMatch[]; redirects: ShellRedirect[] }
  | { ok: false; message: string; hint?: string };

/** Structure check plus the list of placeholders, for load-time validation. */
export function checkShellTemplate(template: string): ShellTemplateCheck {
  const scan = checkShell(template);
  if (!scan.ok) {
    return scan.hint === undefined ? { ok: false, message: scan.message } : { ok: false, message: scan.message, hint: scan.hint };
  }
  return { ok: true, placeholders: scan.parts.flatMap((p) => (p.type === 'placeholder' ? [p.match] : [])), redirects: scan.redirects };
}
