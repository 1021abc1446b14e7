/**
 * Issue 15: prompt templates are Handlebars and are checked at load: the concept document's
 * Jinja-style template fails `oj runbook check` with the template file, the line and a hint,
 * instead of failing when the agent starts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestEnv, makeProject } from './helpers/ojd-harness.js';

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

const RUNBOOK = `
[command.plan]
args = "<name>"
run = { pipeline = "execute" }

[pipeline.execute]
inputs = ["name"]

[[pipeline.execute.phase]]
name = "work"
agent = "execution"

[agent.execution]
command = "claude --print"
prompt_file = "templates/execute.md"
inputs = [
    { name = "issues", source = "wk list -l plan:{name} --json" },
    { name = "plan", source = "cat plans/{name}.md" },
]
`;

/** The concept document's example template, as written there. */
const JINJA = `# {{ name }}

## Issues to Complete

{% for issue in issues %}
- [ ] \`{{ issue.id }}\` - {{ issue.title }}
{% endfor %}

## Constraints

- Work in \`{{ workspace }}/\`
- Signal completion with \`./done\`
`;

const HANDLEBARS = JINJA.replace('{% for issue in issues %}', '{{#each issues as |issue|}}').replace('{% endfor %}', '{{/each}}');

function project(template: string): string {
  const root = makeProject(t, 'proj', { plan: RUNBOOK });
  mkdirSync(join(root, 'templates'));
  writeFileSync(join(root, 'templates', 'execute.md'), template);
  return root;
}

describe('prompt templates are checked at load', () => {
  it('oj runbook check reports a Jinja template with its file, line and the Handlebars hint', async () => {
    const r = await t.oj(['runbook', 'check'], { cwd: project(JINJA) });
    expect(r.exitCode).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toContain('.oj/runbooks/plan.toml');
    expect(out).toContain('agent.execution field prompt_file: template error in templates/execute.md:5: Jinja-style tag "{% for issue in issues %}"');
    expect(out).toContain('template error in templates/execute.md:6: unknown variable "issue"');
    expect(out).toContain('{{#each issues}}...{{/each}}');
  });

  it('the same template in Handlebars passes', async () => {
    const r = await t.oj(['runbook', 'check'], { cwd: project(HANDLEBARS) });
    expect(r.stdout + r.stderr).not.toContain('error');
    expect(r.exitCode).toBe(0);
  });
});
