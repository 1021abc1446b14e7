/** commands.* methods: listing and running a project's runbook commands. */
import { CommandMethods, ErrorCode, OjError, type JsonValue } from '@oj/protocol';
import type { ShellRunner } from '../adapters/shell-runner.js';
import { EnvValueError, filledEnv, passedThrough } from '../adapters/child-env.js';
import { registerSecretEnv } from '../log/redact.js';
import { definitionFromModel } from '../engine/definition-from-model.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import { describeProblem, type ProjectRegistry } from '../projects/project-registry.js';
import type { RpcRouter } from '../rpc/rpc-router.js';
import { argsLayer, bindArgs, createContext, formatUsage, interpolateShell, interpolateText, type ArgValue, type Command, type Project } from '../runbook/index.js';
import { didYouMean } from '../runbook/did-you-mean.js';
import { toPipelineInfo } from '../storage/pipeline-store.js';

export interface CommandHandlerDeps {
  projects: ProjectRegistry;
  engine: PipelineEngine;
  /** Runs a command's shell `run` and builds its environment. */
  shellRunner: ShellRunner;
}

export function registerCommandHandlers(router: RpcRouter, d: CommandHandlerDeps): void {
  router.handle(CommandMethods.List, (p) => {
    const project = d.projects.peek(p.project);
    const errors = d.projects.errors(p.project);
    if (!project) {
      d.projects.get(p.project); // throws the load errors
    }
    // A command's description is its `description`, else the comment above it (the loader fills it in).
    const commands = (project?.all('command') ?? []).map((c) => ({
      name: c.name,
      runbook: c.file,
      usage: formatUsage(c.name, c.args).split('\n')[0]!.replace(/^Usage: (oj run )?/, ''),
      help: formatUsage(c.name, c.args, c.description),
      description: c.description || null,
      runs: c.run.type,
      env: passNames(project!, c),
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
      const passed = pickEnv(p.passEnv, passNames(project, command));
      const definition = definitionFromModel(pipeline, { passed, command: commandEnv(command, bound.values, p) });
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
  p: RunParams,
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
  // On the caller's basic variables (not the daemon's): see docs/runbooks.md "Environment".
  const env = d.shellRunner.env({
    project: p.project,
    base: p.env ?? {},
    layers: [pickEnv(p.passEnv, command.env.pass), commandEnv(command, values, p)],
  });
  const run = d.shellRunner.run({ script, cwd: p.cwd ?? p.project, env, onOutput: (data, stream) => output(stream, data) });
  onClose(() => run.stop('client disconnected'));
  const o = await run.done;
  return { kind: 'shell', exitCode: o.exitCode ?? (o.signal ? 128 + signalNumber(o.signal) : 1), signal: o.signal };
}

type RunParams = { project: string; cwd?: string | undefined; env?: Record<string, string> | undefined; passEnv?: Record<string, string> | undefined };

/** The names a command passes through from its caller: its own `env` list and, for a pipeline command, the pipeline's. */
function passNames(project: Project, command: Command): string[] {
  const names = [...command.env.pass];
  if (command.run.type === 'pipeline') {
    for (const n of project.deref('pipeline', command.run.pipeline).env.pass) if (!names.includes(n)) names.push(n);
  }
  return names;
}

/** The offered variables the runbook lets through; the others are dropped. */
function pickEnv(offered: Record<string, string> | undefined, names: readonly string[]): Record<string, string> {
  const out = passedThrough(offered, names);
  registerSecretEnv(out); // a secret-named value is redacted in ojd's log from now on
  return out;
}

/** A command's `env` table, filled with its arguments as plain text (never run as shell code). */
function commandEnv(command: Command, values: Record<string, ArgValue>, p: RunParams): Record<string, string> {
  if (Object.keys(command.env.set).length === 0) return {};
  const context = createContext(argsLayer(values), { name: 'runtime', values: { project_root: p.project, cwd: p.cwd ?? p.project } });
  try {
    const out = filledEnv(command.env.set, (template) => interpolateText(template, context));
    registerSecretEnv(out);
    return out;
  } catch (err) {
    if (!(err instanceof EnvValueError)) throw err;
    throw new OjError(ErrorCode.BadArguments, `oj run ${command.name}: ${err.message}`, { kind: 'bad_arguments' });
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
