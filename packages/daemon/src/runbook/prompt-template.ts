/**
 * Prompt templates (`prompt`, `prompt_file`) are Handlebars, with oj's
 * single-brace placeholders as a shorthand:
 *
 * - `{{name}}`, `{{#each issues}}...{{/each}}`, `{{#if x}}`: Handlebars, in
 *   strict mode (an unknown variable is an error naming it) and without HTML
 *   escaping.
 * - `{bug.description}`: an oj placeholder. It is rendered exactly like text
 *   interpolation (objects and arrays as JSON, word lists space-joined) and
 *   looks the path up in the current block item first (inside `{{#each}}`),
 *   then in the whole context; unknown paths are errors.
 * - `\{name}` is the literal `{name}`; `\{{name}}` is Handlebars' literal `{{name}}`.
 *
 * Values are never parsed as template syntax: a value containing `{{x}}` or
 * `{x}` is inserted as text.
 */
import { loadHandlebars, type Handlebars } from './handlebars.js';
import { createContext, InterpolationError, WordList, type InterpolationContext } from './interpolation-context.js';
import { scanText } from './placeholder.js';
import { isTable } from './toml-value.js';
import { valueToText } from './value-text.js';

export const PLACEHOLDER_HELPER = 'ojPlaceholder';
/** oj's own Handlebars environment (its helpers are oj's only), made on first use. */
let ownEnvironment: Handlebars | null = null;
const environment = (): Handlebars => (ownEnvironment ??= loadHandlebars().create());

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  constructor(
    /** What was rendered: `agent.fix prompt`, `templates/execute.md`. */
    readonly template: string,
    message: string,
    /** The unknown variable, when that is the problem. */
    readonly variable?: string,
  ) {
    super(`${template}: ${message}`);
  }
}

/** Rewrite single-brace placeholders as helper calls; keep everything else. */
export function toHandlebarsSource(source: string): string {
  let out = '';
  for (const part of scanText(source)) {
    if (part.type === 'text') out += part.text;
    else out += `{{${PLACEHOLDER_HELPER} "${part.match.path}"}}`;
  }
  return out;
}

/** Syntax check without rendering; returns an error message or null. */
export function checkTemplate(source: string): string | null {
  // Loaded outside the try: a Handlebars that does not load is not a syntax error of the template.
  const handlebars = environment();
  try {
    handlebars.parse(toHandlebarsSource(source));
    return null;
  } catch (error) {
    return firstLine(error);
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** The context as one plain object for Handlebars: first layer wins, word lists become arrays. */
function flatten(context: InterpolationContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of [...context.layers].reverse()) {
    for (const [key, value] of Object.entries(layer.values)) {
      if (value !== undefined) out[key] = value instanceof WordList ? [...value.words] : value;
    }
  }
  return out;
}

function lineOf(source: string, message: string): string {
  const match = / - (\d+):(\d+)$/.exec(message);
  if (match === null) return '';
  const line = Number(match[1]);
  return line > 0 && line <= source.split('\n').length ? ` (line ${line})` : '';
}

/** Render a prompt template; throws TemplateError. */
export function renderTemplate(source: string, context: InterpolationContext, label: string): string {
  const handlebars = environment();
  let template: HandlebarsTemplateDelegate;
  try {
    template = handlebars.compile(toHandlebarsSource(source), { strict: true, noEscape: true });
  } catch (error) {
    throw new TemplateError(label, firstLine(error));
  }
  const root = flatten(context);
  const placeholder = function (this: unknown, path: unknown): string {
    const segments = String(path).split('.');
    if (isTable(this) && this !== root) {
      const local = createContext({ name: 'block', values: this }).lookup(segments);
      if (local.ok) return valueToText(local.value, `{${String(path)}}`);
    }
    return valueToText(context.require(segments), `{${String(path)}}`);
  };
  try {
    return template(root, { helpers: { [PLACEHOLDER_HELPER]: placeholder } });
  } catch (error) {
    if (error instanceof InterpolationError) throw new TemplateError(label, error.message, error.placeholder);
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /^"(.+)" not defined in/.exec(message);
    if (unknown !== null) {
      const names = Object.keys(root).sort();
      throw new TemplateError(
        label,
        `unknown variable "${unknown[1]}"${lineOf(source, message)}; known names: ${names.join(', ') || '(none)'}`,
        unknown[1],
      );
    }
    throw new TemplateError(label, firstLine(error));
  }
}
