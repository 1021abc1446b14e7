/**
 * Everything needed to start an agent session, from the model and a context:
 * the rendered prompt, the working directory, the environment and the
 * command line with the prompt passed per `prompt_arg`.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { evaluateAgentInputs, type CommandExecutor } from './agent-inputs.js';
import type { InterpolationContext } from './interpolation-context.js';
import type { Agent } from './model.js';
import { renderTemplate } from './prompt-template.js';
import { quoteWord } from './shell-quote.js';
import { interpolateShell } from './shell-interpolate.js';
import { interpolateText } from './text-interpolate.js';

export interface AgentLaunchOptions {
  projectRoot: string;
  executor: CommandExecutor;
  /** Reads prompt_file; defaults to fs.readFile as UTF-8. */
  readTemplate?: (path: string) => Promise<string>;
}

export interface RenderedAgent {
  prompt: string;
  cwd: string;
  env: Record<string, string>;
  /** Values of the agent's inputs, by name. */
  inputs: Record<string, unknown>;
}

/**
 * The working directory: `cwd` interpolated as text (relative paths are
 * relative to the project root); without `cwd`, the `workspace` value when
 * the context has one, else the project root.
 */
export function resolveAgentCwd(agent: Agent, context: InterpolationContext, projectRoot: string): string {
  if (agent.cwd !== null) {
    const dir = interpolateText(agent.cwd, context);
    return isAbsolute(dir) ? dir : resolve(projectRoot, dir);
  }
  const workspace = context.lookup(['workspace']);
  if (workspace.ok && typeof workspace.value === 'string' && workspace.value !== '') return workspace.value;
  return projectRoot;
}

/** `env` values interpolated as text. */
export function resolveAgentEnv(agent: Agent, context: InterpolationContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(agent.env)) env[key] = interpolateText(value, context);
  return env;
}

/** Run the inputs' sources, then render prompt or prompt_file with them in context. */
export async function renderAgent(agent: Agent, context: InterpolationContext, options: AgentLaunchOptions): Promise<RenderedAgent> {
  const cwd = resolveAgentCwd(agent, context, options.projectRoot);
  const env = resolveAgentEnv(agent, context);
  const inputs = await evaluateAgentInputs(agent.inputs, context, options.executor, cwd);
  const scope = context.with({ name: 'inputs', values: inputs });
  let prompt = '';
  if (agent.prompt !== null) {
    prompt = renderTemplate(agent.prompt, scope, `agent.${agent.name} prompt`);
  } else if (agent.prompt_path !== null) {
    const read = options.readTemplate ?? ((path: string) => readFile(path, 'utf8'));
    prompt = renderTemplate(await read(agent.prompt_path), scope, agent.prompt_file ?? agent.prompt_path);
  }
  return { prompt, cwd, env, inputs };
}

/**
 * The shell command that starts the agent: `command` (shell-interpolated)
 * plus the prompt per `prompt_arg`: `last` appends the prompt text as one
 * quoted argument, `file` appends the prompt file path, `flag` appends
 * `<flag> <prompt>`, `none` appends nothing (the prompt is still available
 * through OJ_PROMPT_FILE).
 */
export function agentCommandLine(agent: Agent, context: InterpolationContext, prompt: string, promptFile: string): string {
  const base = interpolateShell(agent.command, context);
  switch (agent.prompt_arg.type) {
    case 'last':
      return prompt === '' ? base : `${base} ${quoteWord(prompt)}`;
    case 'file':
      return `${base} ${quoteWord(promptFile)}`;
    case 'flag':
      return `${base} ${agent.prompt_arg.flag} ${quoteWord(prompt)}`;
    case 'none':
      return base;
  }
}
