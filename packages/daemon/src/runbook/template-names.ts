/**
 * What a prompt template needs from its context, read from the Handlebars
 * AST without rendering: the names looked up in the root context (so the
 * loader can check them against what the agent's context can hold), calls of
 * helpers that do not exist, partials (not available) and Jinja-style tags
 * (`{% for %}`, `{# #}`), which Handlebars would print as text.
 *
 * A name counts when rendering would look it up in the root context and fail
 * in strict mode, or when it is what `{{#each}}` / `{{#with}}` walks into:
 * - `{{x}}`, `{{x.y}}`, `{{#x}}...{{/x}}`, `{{this.x}}` and oj's `{x}` outside
 *   blocks that change the context;
 * - `{{../x}}` that climbs back to the root from inside such a block;
 * - the first argument of `{{#each x}}` and `{{#with x}}`.
 * Not counted: `@index` and other data, `this`, block params
 * (`{{#each issues as |issue|}}{{issue.id}}`), anything looked up inside an
 * `{{#each}}`/`{{#with}}` body (the item decides), and `{{#if x}}` /
 * `{{#unless x}}` arguments (a missing value is simply false).
 */
import { loadHandlebars } from './handlebars.js';
import { PLACEHOLDER_HELPER, toHandlebarsSource } from './prompt-template.js';

export interface TemplateName {
  /** The first path segment, e.g. `bug` for `{{bug.title}}`. */
  name: string;
  /** As written: `bug.title`, `../bug`. */
  path: string;
  line: number;
}

export interface TemplateScan {
  /** Set when the template does not parse; nothing else is filled in then. */
  syntaxError: { message: string; line: number | null } | null;
  names: TemplateName[];
  unknownHelpers: TemplateName[];
  partials: TemplateName[];
  jinjaTags: Array<{ text: string; line: number }>;
}

export const BUILTIN_HELPERS: readonly string[] = ['if', 'unless', 'each', 'with', 'lookup', 'log'];
const CONTEXT_HELPERS = new Set(['each', 'with']);
const CONDITION_HELPERS = new Set(['if', 'unless']);

const JINJA_TAG = /(?<![{\\])\{%-?\s*(?:for|endfor|if|elif|else|endif|set|block|endblock|extends|include|import|macro|endmacro|raw|endraw|filter|endfilter|with|endwith)\b[^\n]*?%\}|(?<![{\\])\{#[^\n]*?#\}/g;

function lineAt(source: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

/** `Parse error on line 3: ... got 'EOF'` -> a one-line message and the line. */
function syntaxError(error: unknown): { message: string; line: number | null } {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split('\n');
  const parse = /^Parse error on line (\d+):$/.exec(lines[0] ?? '');
  if (parse !== null) {
    const got = /got '([^']+)'/.exec(lines[lines.length - 1] ?? '');
    const near = (lines[1] ?? '').trim();
    const what = got?.[1] === 'EOF' ? 'the template ends inside a tag or block' : `unexpected ${got?.[1] ?? 'token'}`;
    return { message: `Handlebars syntax error: ${what} near "${near}"`, line: Number(parse[1]) };
  }
  const located = / - (\d+):(\d+)$/.exec(lines[0] ?? '');
  return { message: `Handlebars syntax error: ${(lines[0] ?? text).replace(/ - \d+:\d+$/, '')}`, line: located ? Number(located[1]) : null };
}

class Walker {
  readonly names: TemplateName[] = [];
  readonly unknownHelpers: TemplateName[] = [];
  readonly partials: TemplateName[] = [];
  /** Block params in scope, innermost last. */
  private readonly params: string[][] = [];

  program(program: hbs.AST.Program | undefined, level: number): void {
    if (!program) return;
    this.params.push(program.blockParams ?? []);
    for (const statement of program.body) this.statement(statement, level);
    this.params.pop();
  }

  private statement(node: hbs.AST.Statement, level: number): void {
    switch (node.type) {
      case 'MustacheStatement':
        this.call(node as hbs.AST.MustacheStatement, level);
        return;
      case 'BlockStatement':
        this.block(node as hbs.AST.BlockStatement, level);
        return;
      case 'PartialStatement':
      case 'PartialBlockStatement': {
        const name = (node as hbs.AST.PartialStatement).name;
        const text = name.type === 'PathExpression' ? (name as hbs.AST.PathExpression).original : 'partial';
        this.partials.push({ name: text, path: text, line: node.loc.start.line });
        return;
      }
      default:
        return;
    }
  }

  /** `{{x}}`, `{{helper a b}}`. */
  private call(node: hbs.AST.MustacheStatement | hbs.AST.SubExpression, level: number): void {
    const path = node.path;
    if (path.type !== 'PathExpression') return;
    const p = path as hbs.AST.PathExpression;
    const isCall = node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0;
    const helper = p.parts.length === 1 && p.depth === 0 && !p.data ? p.parts[0]! : null;
    if (helper === PLACEHOLDER_HELPER) {
      const arg = node.params[0];
      if (level === 0 && arg?.type === 'StringLiteral') {
        const text = (arg as hbs.AST.StringLiteral).value;
        this.names.push({ name: text.split('.')[0]!, path: `{${text}}`, line: node.loc.start.line });
      }
      return;
    }
    if (helper !== null && BUILTIN_HELPERS.includes(helper)) {
      this.subexpressions(node.params, level);
      return;
    }
    if (isCall) {
      this.unknownHelpers.push({ name: p.original, path: p.original, line: p.loc.start.line });
      this.subexpressions(node.params, level);
      return;
    }
    this.lookup(p, level);
  }

  private subexpressions(params: hbs.AST.Expression[], level: number): void {
    for (const param of params) if (param.type === 'SubExpression') this.call(param as hbs.AST.SubExpression, level);
  }

  private block(node: hbs.AST.BlockStatement, level: number): void {
    const p = node.path.type === 'PathExpression' ? (node.path as hbs.AST.PathExpression) : null;
    const helper = p !== null && p.parts.length === 1 && p.depth === 0 && !p.data ? p.parts[0]! : null;
    const isCall = node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0;
    if (helper !== null && CONTEXT_HELPERS.has(helper)) {
      const first = node.params[0];
      if (first?.type === 'PathExpression') this.lookup(first as hbs.AST.PathExpression, level);
      this.subexpressions(node.params, level);
      this.program(node.program, level + 1);
      this.program(node.inverse, level);
      return;
    }
    if (helper !== null && (CONDITION_HELPERS.has(helper) || BUILTIN_HELPERS.includes(helper))) {
      this.subexpressions(node.params, level);
      this.program(node.program, level);
      this.program(node.inverse, level);
      return;
    }
    if (p !== null && isCall) this.unknownHelpers.push({ name: p.original, path: p.original, line: p.loc.start.line });
    else if (p !== null) this.lookup(p, level);
    // `{{#x}}` iterates or enters x: its body sees another context.
    this.program(node.program, level + 1);
    this.program(node.inverse, level);
  }

  /** A path looked up in strict mode: record it when it resolves in the root context. */
  private lookup(p: hbs.AST.PathExpression, level: number): void {
    if (p.data || p.parts.length === 0) return;
    const scoped = /^\.|^this\b/.test(p.original);
    const head = p.parts[0]!;
    if (!scoped && p.depth === 0 && this.params.some((names) => names.includes(head))) return;
    if (level - p.depth > 0) return;
    this.names.push({ name: head, path: p.original, line: p.loc.start.line });
  }
}

/** Scan a prompt template (oj placeholders included). */
export function scanTemplate(source: string): TemplateScan {
  const jinjaTags = [...source.matchAll(JINJA_TAG)].map((m) => ({ text: m[0], line: lineAt(source, m.index) }));
  // Loaded outside the try: a Handlebars that does not load is not a syntax error of the template.
  const handlebars = loadHandlebars();
  let program: hbs.AST.Program;
  try {
    program = handlebars.parse(toHandlebarsSource(source));
  } catch (error) {
    return { syntaxError: syntaxError(error), names: [], unknownHelpers: [], partials: [], jinjaTags };
  }
  const walker = new Walker();
  walker.program(program, 0);
  return { syntaxError: null, names: walker.names, unknownHelpers: walker.unknownHelpers, partials: walker.partials, jinjaTags };
}
