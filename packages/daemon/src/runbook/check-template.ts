/**
 * Load-time checks of a prompt template: it must parse as Handlebars, call
 * only helpers that exist, use no partials, carry no Jinja-style tags, and
 * (when the names its context can hold are known) look up only those names.
 * Problems carry the template line; the caller names the file.
 */
import { didYouMean } from './did-you-mean.js';
import { BUILTIN_HELPERS, scanTemplate, type TemplateName } from './template-names.js';

export interface TemplateProblem {
  message: string;
  /** 1-based line in the template, when known. */
  line: number | null;
  hint?: string;
}

export const HANDLEBARS_HINT =
  'prompt templates are Handlebars, not Jinja: write {{#each issues}}...{{/each}} (or {{#each issues as |issue|}}), {{#if x}}...{{/if}}, {{! comment }}';

function firstByName(names: readonly TemplateName[]): TemplateName[] {
  const seen = new Set<string>();
  return names.filter((n) => !seen.has(n.name) && seen.add(n.name));
}

/**
 * Every problem of `source`. `known` is the set of names the template's
 * context can hold (null: unknown, the names are not checked).
 */
export function checkPromptTemplate(source: string, known: ReadonlySet<string> | null): TemplateProblem[] {
  const scan = scanTemplate(source);
  const problems: TemplateProblem[] = [];
  const jinja = scan.jinjaTags.length > 0;
  const withJinjaHint = (hint: string | undefined): string | undefined => (jinja ? (hint ? `${hint}; ${HANDLEBARS_HINT}` : HANDLEBARS_HINT) : hint);
  const [tag, ...more] = scan.jinjaTags;
  if (tag !== undefined) {
    const others = more.length > 0 ? ` (and ${more.length} more)` : '';
    problems.push({ message: `Jinja-style tag "${tag.text}"${others} would be printed as text`, line: tag.line, hint: HANDLEBARS_HINT });
  }
  if (scan.syntaxError !== null) {
    const hint = withJinjaHint(undefined);
    problems.push({ message: scan.syntaxError.message, line: scan.syntaxError.line, ...(hint ? { hint } : {}) });
    return problems;
  }
  for (const helper of firstByName(scan.unknownHelpers)) {
    const hint = didYouMean(helper.name, BUILTIN_HELPERS) ?? `helpers: ${BUILTIN_HELPERS.join(', ')}`;
    problems.push({ message: `unknown helper "${helper.name}"`, line: helper.line, hint });
  }
  for (const partial of scan.partials) {
    problems.push({ message: `partials ({{> ${partial.name}}}) are not available in prompt templates`, line: partial.line });
  }
  if (known === null) return problems;
  for (const name of firstByName(scan.names.filter((n) => !known.has(n.name)))) {
    const sorted = [...known].sort();
    const hint = withJinjaHint(didYouMean(name.name, sorted) ?? `known names: ${sorted.join(', ')}`);
    const shown = name.path === name.name ? '' : ` (in ${name.path})`;
    problems.push({ message: `unknown variable "${name.name}"${shown}`, line: name.line, ...(hint ? { hint } : {}) });
  }
  return problems;
}
