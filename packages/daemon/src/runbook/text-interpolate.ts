/**
 * Plain-text interpolation (no quoting) for strings that are not shell
 * commands: pipeline defaults (`branch = "feature/{name}"`), `wake_on` event
 * patterns (`pipeline:{after}:merged`), `cwd`, agent `env` values.
 */
import type { InterpolationContext } from './interpolation-context.js';
import { scanText, textPlaceholders, type PlaceholderMatch } from './placeholder.js';
import { valueToText } from './value-text.js';

/** Fill every placeholder; throws InterpolationError for an unknown one. */
export function interpolateText(template: string, context: InterpolationContext): string {
  let out = '';
  for (const part of scanText(template)) {
    if (part.type === 'text') out += part.text;
    else out += valueToText(context.require(part.match.segments), `{${part.match.path}}`);
  }
  return out;
}

/** The placeholders of a text template, for static checks. */
export function placeholdersInText(template: string): PlaceholderMatch[] {
  return textPlaceholders(template);
}

/** Layers that outrank pipeline defaults (see pipelineContext). */
const OUTRANK_DEFAULTS = ['args', 'inputs'];

/**
 * Resolve pipeline defaults in file order: each default is interpolated with
 * the context plus the defaults resolved before it. A name given as an
 * argument or input keeps that value and its default is not used; a default
 * does replace an item or runtime value of the same name (e.g. `branch`).
 */
export function resolveDefaults(
  defaults: Readonly<Record<string, string>>,
  context: InterpolationContext,
): Record<string, string> {
  const resolved: Record<string, string> = {};
  let scope = context;
  for (const [name, template] of Object.entries(defaults)) {
    if (OUTRANK_DEFAULTS.includes(context.definedIn(name) ?? '')) continue;
    resolved[name] = interpolateText(template, scope);
    scope = context.with({ name: 'defaults', values: { ...resolved } });
  }
  return resolved;
}
