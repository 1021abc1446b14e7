/** `[agent.<name>]`: an AI agent session (command, prompt, liveness, recovery). */
import { isAbsolute } from 'node:path';
import { duration } from './duration.js';
import { isValidName } from './kinds.js';
import { AGENT_DEFAULTS, type Agent, type AgentInput, type Heartbeat, type PromptArg } from './model.js';
import type { ParseContext } from './parse-context.js';
import { ENV_NAME } from './parse-env.js';
import type { TableReader } from './table-reader.js';
import type { TomlTable } from './toml-value.js';

export const AGENT_FIELDS = [
  'command',
  'run',
  'prompt',
  'prompt_file',
  'prompt_arg',
  'inputs',
  'cwd',
  'env',
  'timeout',
  'idle_timeout',
  'heartbeat',
  'on_stuck',
  'on_timeout',
  'on_exit',
  'on_error',
  'on_idle',
  'permission_timeout',
  'permission_keys',
  'plan_keys',
  'question_keys',
] as const;
export const AGENT_INPUT_FIELDS = ['name', 'source'] as const;
export const HEARTBEATS: readonly Heartbeat[] = ['output', 'claude', 'none'];

type KeyField = 'permission_keys' | 'plan_keys' | 'question_keys';

/** A table of the keys that answer one kind of prompt (`permission_keys = { allow = "1", deny = "3" }`); unset ones keep Claude Code's defaults. */
function keys<F extends KeyField>(reader: TableReader, field: F): Record<keyof (typeof AGENT_DEFAULTS)[F], string> {
  const defaults: Record<string, string> = AGENT_DEFAULTS[field];
  const names = Object.keys(defaults);
  const map = reader.stringMap(field) ?? {};
  for (const key of Object.keys(map)) {
    if (!names.includes(key)) reader.error(`${field}.${key}`, `"${key}" is not one of its keys`, `use ${names.join(' and ')}`);
    else if (map[key] === '') reader.error(`${field}.${key}`, 'is empty', 'give the keys to type, e.g. "1"');
  }
  return Object.fromEntries(names.map((n) => [n, map[n] || defaults[n]])) as Record<keyof (typeof AGENT_DEFAULTS)[F], string>;
}

const FLAG = /^--?[A-Za-z0-9][A-Za-z0-9_-]*$/;

function promptArg(reader: TableReader): PromptArg {
  const text = reader.string('prompt_arg') ?? AGENT_DEFAULTS.prompt_arg;
  if (text === 'last' || text === 'file' || text === 'none') return { type: text };
  if (FLAG.test(text)) return { type: 'flag', flag: text };
  reader.error('prompt_arg', `"${text}" is not a prompt_arg`, 'use "last" (default), "file", "none" or a flag such as "--prompt"');
  return { type: AGENT_DEFAULTS.prompt_arg };
}

function command(ctx: ParseContext, reader: TableReader): string {
  if (reader.has('command') && reader.has('run')) {
    reader.error('run', 'set command or run, not both', 'run is another name for command');
  }
  const key = reader.has('run') && !reader.has('command') ? 'run' : 'command';
  return ctx.shell(reader, key) ?? ctx.config.agent.command;
}

function inputs(ctx: ParseContext, reader: TableReader): AgentInput[] {
  const tables = reader.tables('inputs') ?? [];
  const out: AgentInput[] = [];
  tables.forEach((table, index) => {
    const at = reader.location.at === undefined ? `inputs[${index}]` : `${reader.location.at} inputs[${index}]`;
    const input = ctx.open(table, { ...reader.location, at }, AGENT_INPUT_FIELDS, 'an agent input');
    const name = input.string('name', { required: true });
    const source = ctx.shell(input, 'source', { required: true });
    if (name !== undefined && !isValidName(name)) input.error('name', `"${name}" is not a valid input name`);
    if (name !== undefined && out.some((i) => i.name === name)) input.error('name', `input "${name}" is defined twice`);
    if (name !== undefined && source !== undefined) out.push({ name, source });
  });
  return out;
}

export function parseAgent(ctx: ParseContext, name: string, table: TomlTable): Agent {
  const location = ctx.location('agent', name);
  const reader = ctx.open(table, location, AGENT_FIELDS, 'an agent');
  const prompt = reader.string('prompt') ?? null;
  const promptFile = reader.string('prompt_file', { nonEmpty: true }) ?? null;
  if (prompt !== null && promptFile !== null) reader.error('prompt_file', 'set prompt or prompt_file, not both');
  if (promptFile !== null && isAbsolute(promptFile)) {
    reader.error('prompt_file', `"${promptFile}" is absolute`, 'prompt_file is relative to the project root');
  }
  const env = reader.stringMap('env', { scalars: true }) ?? {};
  for (const key of Object.keys(env)) {
    if (!ENV_NAME.test(key)) reader.error(`env.${key}`, `"${key}" is not a valid environment variable name`);
  }
  const heartbeat = reader.string('heartbeat') ?? AGENT_DEFAULTS.heartbeat;
  if (!(HEARTBEATS as readonly string[]).includes(heartbeat)) {
    reader.error('heartbeat', `"${heartbeat}" is not a heartbeat`, `use one of ${HEARTBEATS.join(', ')}`);
  }
  return {
    ...ctx.base('agent', name),
    command: command(ctx, reader),
    prompt,
    prompt_file: promptFile,
    prompt_path: null,
    prompt_arg: promptArg(reader),
    inputs: inputs(ctx, reader),
    cwd: reader.string('cwd', { nonEmpty: true }) ?? null,
    env,
    timeout: reader.duration('timeout') ?? null,
    idle_timeout: reader.duration('idle_timeout') ?? duration(AGENT_DEFAULTS.idle_timeout),
    heartbeat: (HEARTBEATS as readonly string[]).includes(heartbeat) ? (heartbeat as Heartbeat) : AGENT_DEFAULTS.heartbeat,
    on_stuck: ctx.chain(reader, 'on_stuck', 'agent.on_stuck', AGENT_DEFAULTS.on_stuck),
    on_timeout: ctx.chain(reader, 'on_timeout', 'agent.on_timeout', AGENT_DEFAULTS.on_timeout),
    on_exit: ctx.chain(reader, 'on_exit', 'agent.on_exit', AGENT_DEFAULTS.on_exit),
    on_error: ctx.chain(reader, 'on_error', 'agent.on_error', AGENT_DEFAULTS.on_error),
    on_idle: ctx.chain(reader, 'on_idle', 'agent.on_idle', AGENT_DEFAULTS.on_idle),
    permission_timeout: reader.duration('permission_timeout') ?? duration(AGENT_DEFAULTS.permission_timeout),
    permission_keys: keys(reader, 'permission_keys'),
    plan_keys: keys(reader, 'plan_keys'),
    question_keys: keys(reader, 'question_keys'),
  };
}
