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

/**
 * Resolve pipeline defaults in file order: each default is interpolated with
 * the context plus the defaults resolved before it. A name the context
 * already defines (an input or argument) keeps that value; its default is not
 * used.
 */
export function resolveDefaults(
  defaults: Readonly<Record<string, string>>,
  context: InterpolationContext,
): Record<string, string> {
  const resolved: Record<string, string> = {};
  let scope = context;
  for (const [name, template] of Object.entries(defaults)) {
    if (context.has(name)) continue;
    resolved[name] = interpolateText(template, scope);
    scope = context.withFallback({ name: 'defaults', values: { ...resolved } });
  }
  return resolved;
}
