/** commands.* methods: listing and running a project's runbook commands. */
import { CommandMethods, ErrorCode, OjError, type JsonValue } from '@oj/protocol';
import { readFileSync } from 'node:fs';
import type { ShellRunner } from '../adapters/shell-runner.js';
import { commentAbove } from '../runbook/comment-description.js';
import { definitionFromModel } from '../engine/definition-from-model.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import { describeProblem, type ProjectRegistry } from '../projects/project-registry.js';
import type { RpcRouter } from '../rpc/rpc-router.js';
import { argsLayer, bindArgs, createContext, formatUsage, interpolateShell, type ArgValue, type Command } from '../runbook/index.js';
import { didYouMean } from '../runbook/did-you-mean.js';
import { toPipelineInfo } from '../storage/pipeline-store.js';

export interface CommandHandlerDeps {
  projects: ProjectRegistry;
  engine: PipelineEngine;
  socketPath: string;
  stateDir: string;
  ojBinDir: string | null;
  shellRunner: ShellRunner;
}

export function registerCommandHandlers(router: RpcRouter, d: CommandHandlerDeps): void {
  router.handle(CommandMethods.List, (p) => {
    const project = d.projects.peek(p.project);
    const errors = d.projects.errors(p.project);
    if (!project) {
      d.projects.get(p.project); // throws the load errors
    }
    const texts = new Map<string, string>();
    const textOf = (file: string) => {
      if (!texts.has(file)) {
        const path = project?.files.find((f) => f.name === file)?.path;
        texts.set(file, path ? safeRead(path) : '');
      }
      return texts.get(file)!;
    };
    const commands = (project?.all('command') ?? []).map((c) => ({
      name: c.name,
      runbook: c.file,
      usage: formatUsage(c.name, c.args).split('\n')[0]!.replace(/^Usage: (oj run )?/, ''),
      description: c.description || commentAbove(textOf(c.file), 'command', c.name),
      runs: c.run.type,
    }));
    return { commands, errors };
  });

  router.handle(CommandMethods.Run, async (p, ctx) => {
    const project = d.projects.get(p.project);
    const command = project.command(p.command);
    if (!command) {
      const problem = d.projects.problemFor(p.project, p.command);
      if (problem) {
        const lines = describeProblem(problem);
        throw new OjError(ErrorCode.RunbookInvalid, `command ${p.command} is defined in ${problem.display}, which does not load:\n${lines.slice(1).join('\n')}`, {
          kind: 'runbook_invalid',
          errors: lines,
          hint: `fix ${problem.display} (oj runbook check shows every problem); the project's other runbooks keep working`,
        });
      }
      const names = project.all('command').map((c) => c.name);
      const guess = didYouMean(p.command, names);
      const leftOut = d.projects.problems(p.project).filter((x) => x.outcome === 'left-out').map((x) => x.display);
      const note = leftOut.length ? `; left out because they do not load: ${leftOut.join(', ')} (oj status shows why)` : '';
      throw OjError.notFound('command', p.command, {
        hint: (guess ? guess : names.length ? `commands: ${names.join(', ')}` : 'this project defines no commands') + note,
      });
    }
    const bound = bindArgs(command.args, p.args);
    if (!bound.ok) {
      throw new OjError(ErrorCode.BadArguments, `oj run ${command.name}: ${bound.message}`, {
        kind: 'bad_arguments',
        usage: formatUsage(command.name, command.args, command.description),
        ...(bound.hint ? { hint: bound.hint } : {}),
      });
    }
    if (command.run.type === 'pipeline') {
      const pipeline = project.deref('pipeline', command.run.pipeline);
      const definition = definitionFromModel(pipeline);
      const args = toJson(bound.values);
      const missing = pipeline.inputs.filter((i) => !(i in args));
      if (missing.length) {
        throw new OjError(ErrorCode.BadArguments, `pipeline ${pipeline.name} needs input ${missing.join(', ')}, which command ${command.name} does not give`, {
          kind: 'bad_arguments',
          usage: formatUsage(command.name, command.args, command.description),
        });
      }
      const inputs: Record<string, JsonValue> = {};
      for (const i of pipeline.inputs) inputs[i] = args[i]!;
      const record = d.engine.create({ project: p.project, definition, inputs, vars: args });
      return { kind: 'pipeline' as const, pipeline: toPipelineInfo(record) };
    }
    // The client's pace sets the child's: while it has much unread, the child's output is held
    // back (it blocks on its pipe) instead of piling up here.
    const output = (stream: 'stdout' | 'stderr', data: string) => {
      ctx.notify(CommandMethods.Output, { stream, data });
      return ctx.blocked ? ctx.writable() : undefined;
    };
    return runShellCommand(d, command, bound.values, p, output, ctx.onClose.bind(ctx));
  });
}

async function runShellCommand(
  d: CommandHandlerDeps,
  command: Command,
  values: Record<string, ArgValue>,
  p: { project: string; cwd?: string | undefined; env?: Record<string, string> | undefined },
  output: (stream: 'stdout' | 'stderr', data: string) => Promise<void> | undefined,
  onClose: (cb: () => void) => void,
): Promise<{ kind: 'shell'; exitCode: number; signal: string | null }> {
  if (command.run.type !== 'shell') throw new Error('not a shell command');
  const context = createContext(argsLayer(values), { name: 'runtime', values: { project_root: p.project, cwd: p.cwd ?? p.project } });
  let script: string;
  try {
    script = interpolateShell(command.run.shell, context);
  } catch (err) {
    throw new OjError(ErrorCode.BadArguments, `oj run ${command.name}: ${(err as Error).message}`, { kind: 'bad_arguments' });
  }
  const env: Record<string, string> = {
    ...(p.env ?? {}),
    PATH: [d.ojBinDir, p.env?.PATH ?? process.env.PATH ?? '/usr/bin:/bin'].filter(Boolean).join(':'),
    OJ_SOCKET: d.socketPath,
    OJ_STATE_DIR: d.stateDir,
    OJ_PROJECT_ROOT: p.project,
  };
  const run = d.shellRunner.run({ script, cwd: p.cwd ?? p.project, env, onOutput: (data, stream) => output(stream, data) });
  onClose(() => run.stop('client disconnected'));
  const o = await run.done;
  return { kind: 'shell', exitCode: o.exitCode ?? (o.signal ? 128 + signalNumber(o.signal) : 1), signal: o.signal };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function toJson(values: Record<string, ArgValue>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(values)) out[k] = Array.isArray(v) ? [...v] : v;
  return out;
}

function signalNumber(signal: string): number {
  const table: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return table[signal] ?? 0;
}
