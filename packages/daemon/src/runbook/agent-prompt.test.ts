import { describe, expect, it } from 'vitest';
import { AgentInputError, evaluateAgentInputs, parseSourceOutput, type CommandExecutor } from './agent-inputs.js';
import { agentCommandLine, renderAgent, resolveAgentCwd, resolveAgentEnv } from './agent-prompt.js';
import { buildProjectFromTexts } from './load-project.js';
import { createContext, pipelineContext } from './interpolation-context.js';
import type { Agent } from './model.js';

function agent(body: string, files: Record<string, string> = {}): Agent {
  const result = buildProjectFromTexts({ runbooks: { main: `[agent.a]\n${body}` }, files });
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.project.agent('a')!;
}

const fake =
  (outputs: Record<string, { stdout: string; exitCode?: number; stderr?: string }>, seen: string[] = []): CommandExecutor =>
  async (command) => {
    seen.push(command);
    const out = outputs[command];
    if (out === undefined) throw new Error(`unexpected command ${command}`);
    return { stdout: out.stdout, exitCode: out.exitCode ?? 0, stderr: out.stderr ?? '' };
  };

describe('agent inputs', () => {
  it('parses JSON output, else trims text', () => {
    expect(parseSourceOutput(' [1, 2]\n')).toEqual([1, 2]);
    expect(parseSourceOutput('{"a": "b"}')).toEqual({ a: 'b' });
    expect(parseSourceOutput('  hello world \n')).toBe('hello world');
    expect(parseSourceOutput('{not json')).toBe('{not json');
    expect(parseSourceOutput('')).toBe('');
  });

  it('runs sources in order with shell-quoted placeholders; later sources see earlier inputs', async () => {
    const seen: string[] = [];
    const values = await evaluateAgentInputs(
      [
        { name: 'first', source: 'echo {name}' },
        { name: 'second', source: 'cat {first.file}' },
      ],
      createContext({ name: 'args', values: { name: "o'brien" } }),
      fake({ "echo 'o'\\''brien'": { stdout: '{"file":"x.md"}' }, "cat 'x.md'": { stdout: 'content\n' } }, seen),
      '/cwd',
    );
    expect(values).toEqual({ first: { file: 'x.md' }, second: 'content' });
    expect(seen).toEqual(["echo 'o'\\''brien'", "cat 'x.md'"]);
  });

  it('fails with the input name when a source fails', async () => {
    const run = evaluateAgentInputs([{ name: 'issues', source: 'false' }], createContext(), fake({ false: { stdout: '', exitCode: 3, stderr: 'boom\nmore' } }), '/');
    await expect(run).rejects.toThrow(AgentInputError);
    await expect(run).rejects.toThrow('input "issues": source exited with 3: boom');
  });

  it('fails with the input name on an unknown placeholder', async () => {
    const run = evaluateAgentInputs([{ name: 'plan', source: 'cat {nope}' }], createContext(), fake({}), '/');
    await expect(run).rejects.toThrow('input "plan": unknown placeholder {nope}');
  });
});

describe('renderAgent', () => {
  it('renders an inline prompt with inputs', async () => {
    const a = agent(`prompt = "Plan {name}: {{plan}}"\ninputs = [{ name = "plan", source = "cat plans/{name}.md" }]`);
    const rendered = await renderAgent(a, pipelineContext({ inputs: { name: 'auth' } }), {
      projectRoot: '/project',
      executor: fake({ "cat plans/'auth'.md": { stdout: 'the plan\n' } }),
    });
    expect(rendered).toEqual({ prompt: 'Plan auth: the plan', cwd: '/project', env: {}, inputs: { plan: 'the plan' } });
  });

  it('renders prompt_file through the injected reader', async () => {
    const a = agent('prompt_file = "t/p.md"', { 't/p.md': 'unused on disk' });
    const rendered = await renderAgent(a, createContext({ name: 'i', values: { name: 'x' } }), {
      projectRoot: '/project',
      executor: fake({}),
      readTemplate: async (path) => (path === '/project/t/p.md' ? 'Hello {{name}}' : 'wrong'),
    });
    expect(rendered.prompt).toBe('Hello x');
  });

  it('resolves cwd and env', () => {
    const a = agent('cwd = "sub/{name}"\nenv = { TARGET = "{name}", LEVEL = 3 }');
    const c = createContext({ name: 'i', values: { name: 'x y' } });
    expect(resolveAgentCwd(a, c, '/project')).toBe('/project/sub/x y');
    expect(resolveAgentEnv(a, c)).toEqual({ TARGET: 'x y', LEVEL: '3' });
    const plain = agent('');
    expect(resolveAgentCwd(plain, createContext({ name: 'r', values: { workspace: '/ws' } }), '/project')).toBe('/ws');
    expect(resolveAgentCwd(plain, createContext(), '/project')).toBe('/project');
  });
});

describe('agentCommandLine', () => {
  const c = createContext({ name: 'i', values: { model: 'opus' } });
  it.each([
    ['', "claude 'it'\\''s'"],
    ['prompt_arg = "last"', "claude 'it'\\''s'"],
    ['prompt_arg = "file"', "claude '/s/prompt.md'"],
    ['prompt_arg = "none"', 'claude'],
    ['prompt_arg = "--prompt"', "claude --prompt 'it'\\''s'"],
  ])('%s', (field, expected) => {
    expect(agentCommandLine(agent(field), c, "it's", '/s/prompt.md')).toBe(expected);
  });

  it('interpolates the command itself safely', () => {
    expect(agentCommandLine(agent('command = "claude --model {model}"'), c, 'p', '/f')).toBe("claude --model 'opus' 'p'");
  });
});
