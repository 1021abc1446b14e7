/**
 * The placeholder grammar shared by shell, text and prompt interpolation.
 *
 *   {name}  {bug.id}  {issues.0.title}  {dry-run}
 *
 * A placeholder is a single `{`, a dotted path, and a single `}`. A path
 * segment is a name (`[A-Za-z_][A-Za-z0-9_-]*`) or, after the first, an array
 * index (digits). Everything else stays literal text:
 *
 * - runs of two or more braces (`{{`, `}}`, `{{{`) are never placeholders, so
 *   Handlebars (`{{name}}`), Go templates (`{{.Names}}`) and the like pass
 *   through untouched;
 * - `${...}` is never a placeholder (it is shell parameter expansion);
 * - braces around anything that is not a path (`{ print }`, `{a,b}`, `{}`,
 *   `{"a": 1}`) are literal;
 * - `\{name}` is not a placeholder (in shell strings the backslash is left for
 *   the shell; in text and prompts it is removed, giving `{name}`).
 */

export interface PlaceholderMatch {
  /** The text between the braces, e.g. `bug.id`. */
  path: string;
  segments: string[];
  /** Index of the opening brace in the template. */
  start: number;
  /** Index just past the closing brace. */
  end: number;
}

const NAME_SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const INDEX_SEGMENT = /^\d+$/;
const PATH_CHARS = /[A-Za-z0-9_.-]/;

/** Split `bug.id` into segments, or null if it is not a placeholder path. */
export function parsePlaceholderPath(path: string): string[] | null {
  const segments = path.split('.');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (NAME_SEGMENT.test(segment)) continue;
    if (i > 0 && INDEX_SEGMENT.test(segment)) continue;
    return null;
  }
  return segments;
}

/**
 * If a placeholder starts at `index` (which holds `{`), return it. Checks the
 * brace-run and `${` rules but not the backslash rule, which depends on the
 * caller's quoting context.
 */
export function placeholderAt(template: string, index: number): PlaceholderMatch | null {
  if (template[index] !== '{') return null;
  if (template[index - 1] === '{' || template[index - 1] === '$') return null;
  let end = index + 1;
  while (end < template.length && PATH_CHARS.test(template[end]!)) end++;
  if (template[end] !== '}' || template[end + 1] === '}') return null;
  const path = template.slice(index + 1, end);
  const segments = parsePlaceholderPath(path);
  if (segments === null) return null;
  return { path, segments, start: index, end: end + 1 };
}

export type TextPart = { type: 'text'; text: string } | { type: 'placeholder'; match: PlaceholderMatch };

/**
 * Split plain text into literal parts and placeholders. `\{name}` becomes the
 * literal `{name}` (the backslash is dropped).
 */
export function scanText(template: string): TextPart[] {
  const parts: TextPart[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if (ch === '\\' && template[i + 1] === '{') {
      const escaped = placeholderAt(template, i + 1);
      if (escaped !== null) {
        literal += template.slice(i + 1, escaped.end);
        i = escaped.end;
        continue;
      }
    }
    if (ch === '{') {
      const match = placeholderAt(template, i);
      if (match !== null) {
        if (literal !== '') parts.push({ type: 'text', text: literal });
        literal = '';
        parts.push({ type: 'placeholder', match });
        i = match.end;
        continue;
      }
      // Skip a whole run of braces so `{{name}}` is not read as `{` + `{name}` + `}`.
      let run = i;
      while (template[run] === '{') run++;
      literal += template.slice(i, run);
      i = run;
      continue;
    }
    literal += ch;
    i++;
  }
  if (literal !== '') parts.push({ type: 'text', text: literal });
  return parts;
}

/** Every placeholder in a plain-text template. */
export function textPlaceholders(template: string): PlaceholderMatch[] {
  return scanText(template).flatMap((part) => (part.type === 'placeholder' ? [part.match] : []));
}
