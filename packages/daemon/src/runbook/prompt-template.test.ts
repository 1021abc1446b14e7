import { describe, expect, it } from 'vitest';
import { argsLayer, createContext } from './interpolation-context.js';
import { checkTemplate, renderTemplate, TemplateError, toHandlebarsSource } from './prompt-template.js';

const ctx = createContext(
  argsLayer({ name: 'auth', targets: ['api', 'web'], 'dry-run': true }),
  {
    name: 'inputs',
    values: {
      bug: { id: 7, description: 'Crash on <save> & {{exit}}' },
      issues: [
        { id: 'a1', title: 'Login' },
        { id: 'a2', title: 'Logout' },
      ],
    },
  },
);

describe('renderTemplate', () => {
  it('renders single-brace placeholders as text', () => {
    expect(renderTemplate('Fix the bug: {bug.description}', ctx, 't')).toBe('Fix the bug: Crash on <save> & {{exit}}');
    expect(renderTemplate('{targets} / {issues.1.title} / {dry-run} / {bug}', ctx, 't')).toBe(
      'api web / Logout / true / {"id":7,"description":"Crash on <save> & {{exit}}"}',
    );
  });

  it('renders Handlebars without HTML escaping', () => {
    expect(renderTemplate('# {{ name }}: {{bug.description}}', ctx, 't')).toBe('# auth: Crash on <save> & {{exit}}');
  });

  it('supports blocks, with single-brace placeholders reading the block item first', () => {
    const source = '{{#each issues}}- [ ] `{{ this.id }}` {title} ({name})\n{{/each}}';
    expect(renderTemplate(source, ctx, 't')).toBe('- [ ] `a1` Login (auth)\n- [ ] `a2` Logout (auth)\n');
    const blockParams = '{{#each issues as |issue|}}{{ issue.id }}={{ issue.title }};{{/each}}';
    expect(renderTemplate(blockParams, ctx, 't')).toBe('a1=Login;a2=Logout;');
    expect(renderTemplate('{{#each targets}}<{{this}}>{{/each}}', ctx, 't')).toBe('<api><web>');
    expect(renderTemplate('{{#if bug}}yes{{/if}}{{#if missing}}no{{/if}}', ctx, 't')).toBe('yes');
  });

  it('escapes: \\{name} and \\{{name}} stay literal', () => {
    expect(renderTemplate('\\{name} \\{{name}} {name}', ctx, 't')).toBe('{name} {{name}} auth');
  });

  it('never parses values as template syntax', () => {
    const evil = createContext({ name: 'i', values: { x: '{{#each}} {name} {{lookup}}' } });
    expect(renderTemplate('{x}|{{x}}', evil, 't')).toBe('{{#each}} {name} {{lookup}}|{{#each}} {name} {{lookup}}');
  });

  it('names an unknown Handlebars variable', () => {
    const error = (() => {
      try {
        renderTemplate('line one\n{{ nmae }}', ctx, 'agent.x prompt');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as TemplateError).variable).toBe('nmae');
    expect((error as TemplateError).message).toBe(
      'agent.x prompt: unknown variable "nmae" (line 2); known names: bug, dry-run, issues, name, targets',
    );
  });

  it('names an unknown single-brace placeholder', () => {
    expect(() => renderTemplate('{bug.titel}', ctx, 'p')).toThrow('p: unknown placeholder {bug.titel}: "bug" has no field "titel"');
  });

  it('reports syntax errors', () => {
    expect(() => renderTemplate('{{#each issues}}', ctx, 'p')).toThrow(TemplateError);
    expect(checkTemplate('{{#each issues}}')).toMatch(/Parse error/);
    expect(checkTemplate('{{#each issues}}{{/each}} {name}')).toBeNull();
  });

  it('rewrites single-brace placeholders into helper calls only', () => {
    expect(toHandlebarsSource('{a.b} {{c}} { d }')).toBe('{{ojPlaceholder "a.b"}} {{c}} { d }');
  });
});
