import { describe, expect, it } from 'vitest';
import { checkPromptTemplate, HANDLEBARS_HINT } from './check-template.js';
import { buildProjectFromTexts } from './load-project.js';
import { formatRunbookError } from './runbook-error.js';

const known = new Set(['name', 'issues', 'workspace', 'bug']);
const messages = (source: string, names: ReadonlySet<string> | null = known) =>
  checkPromptTemplate(source, names).map((p) => `${p.line}: ${p.message}`);

describe('checkPromptTemplate', () => {
  it('accepts names the context holds, block params, data, this and ../ to a known name', () => {
    const source = [
      '# {{ name }} {bug.id}',
      '{{#each issues as |issue i|}}- {{issue.id}} {{@index}} {{this.title}} {{title}} {id} {{../name}}{{/each}}',
      '{{#with bug}}{{description}}{{/with}}',
      '{{#if nope}}{{name}}{{else}}{{workspace}}{{/if}}{{#unless nope}}x{{/unless}}',
      '{{lookup bug "id"}} {{#each issues}}{{#if done}}{{../name}}{{/if}}{{/each}}',
    ].join('\n');
    expect(messages(source)).toEqual([]);
  });

  it('reports unknown root names with their line, once per name, and suggests close names', () => {
    const problems = checkPromptTemplate('{{ nmae }}\n{{nmae}} {issue.id}\n{{#each isues}}{{/each}}\n{{this.x}}', known);
    expect(problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      '1: unknown variable "nmae"',
      '2: unknown variable "issue" (in {issue.id})',
      '3: unknown variable "isues"',
      '4: unknown variable "x" (in this.x)',
    ]);
    expect(problems[0]!.hint).toBe('did you mean "name"?');
    expect(problems[2]!.hint).toBe('did you mean "issues"?');
  });

  it('counts ../ that climbs back to the root, and nothing else inside a block', () => {
    expect(messages('{{#each issues}}{{zz}} {zz} {{../zz}}{{/each}}')).toEqual(['1: unknown variable "zz" (in ../zz)']);
    expect(messages('{{#each issues}}{{#each tags}}{{../x}} {{../../y}}{{/each}}{{/each}}')).toEqual(['1: unknown variable "y" (in ../../y)']);
  });

  it('reports unknown helpers and partials whatever the context', () => {
    expect(messages('{{eq name 1}}\n{{#iff name}}{{/iff}}\n{{> header}}', null)).toEqual([
      '1: unknown helper "eq"',
      '2: unknown helper "iff"',
      '3: partials ({{> header}}) are not available in prompt templates',
    ]);
    expect(checkPromptTemplate('{{#iff name}}{{/iff}}', null)[0]!.hint).toBe('did you mean "if"?');
  });

  it('without a known context, checks only the syntax', () => {
    expect(messages('{{whatever}} {x}', null)).toEqual([]);
    expect(messages('a\n{{#each issues}}\nb', null)).toEqual([
      '3: Handlebars syntax error: the template ends inside a tag or block near "a{{#each issues}}b"',
    ]);
  });

  it('flags Jinja tags and hints at Handlebars', () => {
    const jinja = '# {{ name }}\n\n{% for issue in issues %}\n- [ ] `{{ issue.id }}` - {{ issue.title }}\n{% endfor %}\n{# note #}';
    const problems = checkPromptTemplate(jinja, known);
    expect(problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      '3: Jinja-style tag "{% for issue in issues %}" (and 2 more) would be printed as text',
      '4: unknown variable "issue" (in issue.id)',
    ]);
    expect(problems[0]!.hint).toBe(HANDLEBARS_HINT);
    expect(problems[1]!.hint).toContain('{{#each issues}}');
    // Handlebars' own {{#each}} and {{! }} are not Jinja; a lone {% is text.
    expect(messages('{{#each issues}}{{/each}}{{! note }} 100{%}')).toEqual([]);
  });
});

describe('prompt checks at load', () => {
  const runbook = (prompt: string) => `
[command.fix]
args = "<bug> [--urgent]"
run = { pipeline = "fix" }

[pipeline.fix]
inputs = ["bug"]
defaults = { title = "fix {bug}" }

[[pipeline.fix.phase]]
name = "work"
strategy = "tries"

[strategy.tries]
[[strategy.tries.attempt]]
name = "agent"
run = { agent = "fixer" }

[agent.fixer]
prompt_file = "t.md"
inputs = [{ name = "log", source = "cat log" }]

[agent.lonely]
prompt = """${prompt}"""
`;
  const errors = (template: string, prompt = '{{anything}}') => {
    const r = buildProjectFromTexts({ runbooks: { main: runbook(prompt) }, files: { 't.md': template } });
    return r.ok ? [] : r.errors.map(formatRunbookError);
  };

  it('knows the pipeline inputs and defaults, command arguments, agent inputs and runtime names', () => {
    expect(errors('{{bug}} {{title}} {{urgent}} {{log}} {{workspace}} {{branch}} {{phase}} {{error}} {{session}} {{id}} {{name}} {{project_root}} {{pipeline}}')).toEqual([]);
  });

  it('reports an unknown name in a prompt_file with the template file and line', () => {
    expect(errors('ok\n{{bgu}}')).toEqual([
      '.oj/runbooks/main.toml:20: agent.fixer field prompt_file: template error in t.md:2: unknown variable "bgu" (did you mean "bug"?)',
    ]);
  });

  it('checks only the syntax of an agent no pipeline runs', () => {
    expect(errors('{{bug}}', '{{anything}}\n{{#if}}')).toEqual([
      '.oj/runbooks/main.toml:24: agent.lonely field prompt: template error at line 2: Handlebars syntax error: the template ends inside a tag or block near "{{anything}}{{#if}}"',
    ]);
  });
});
