/**
 * A project's runbook commands: listing them, and running one (`oj run`):
 * found (or the reason it is not: a runbook that does not load, a typo),
 * its arguments bound, then a pipeline created or its shell script run.
 */
import { ErrorCode, OjError, type CommandInfo, type JsonValue } from '@oj/protocol';
import { definitionFromModel } from '../engine/definition-from-model.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import { describeProblem, type ProjectRegistry } from '../projects/project-registry.js';
import { bindArgs, formatUsage, type ArgValue, type Command, type Project } from '../runbook/index.js';
import { didYouMean } from '../runbook/did-you-mean.js';
import type { PipelineRecord } from '../storage/pipeline-store.js';
import { commandEnv, passNames, pickEnv, toJson, type RunParams } from './command-env.js';
import { runShellCommand, type ShellCommandDeps } from './shell-command.js';

export interface CommandServiceDeps extends ShellCommandDeps {
  projects: ProjectRegistry;
  engine: PipelineEngine;
}

/** Where a shell command's output goes, and how the caller says it went away. */
export interface CommandIo {
  /** Sends output; a promise while the caller has much unread (the child waits for it). */
  output(stream: 'stdout' | 'stderr', data: string): Promise<void> | undefined;
  onClose(cb: () => void): void;
}

export type CommandOutcome = { kind: 'shell'; exitCode: number; signal: string | null } | { kind: 'pipeline'; pipeline: PipelineRecord };

export class CommandService {
  constructor(private readonly d: CommandServiceDeps) {}

  /** The project's commands, and the problems of its runbooks (throws when none ever loaded). */
  list(root: string): { commands: CommandInfo[]; errors: string[] } {
    const project = this.d.projects.peek(root);
    const errors = this.d.projects.errors(root);
    if (!project) this.d.projects.get(root); // throws the load errors
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
  }

  /** Runs a command with its arguments: creates its pipeline, or runs its shell script to the end. */
  async run(p: RunParams & { command: string; args: string[] }, io: CommandIo): Promise<CommandOutcome> {
    const project = this.d.projects.get(p.project);
    const command = this.find(project, p.project, p.command);
    const bound = bindArgs(command.args, p.args);
    if (!bound.ok) {
      throw new OjError(ErrorCode.BadArguments, `oj run ${command.name}: ${bound.message}`, {
        kind: 'bad_arguments',
        usage: formatUsage(command.name, command.args, command.description),
        ...(bound.hint ? { hint: bound.hint } : {}),
      });
    }
    if (command.run.type === 'pipeline') return { kind: 'pipeline', pipeline: this.startPipeline(project, command, bound.values, p) };
    return runShellCommand(this.d, command, bound.values, p, io.output, io.onClose);
  }

  /** The command named so; else why not: its runbook does not load, or no such command (with a guess). */
  private find(project: Project, root: string, name: string): Command {
    const command = project.command(name);
    if (command) return command;
    const problem = this.d.projects.problemFor(root, name);
    if (problem) {
      const lines = describeProblem(problem);
      throw new OjError(ErrorCode.RunbookInvalid, `command ${name} is defined in ${problem.display}, which does not load:\n${lines.slice(1).join('\n')}`, {
        kind: 'runbook_invalid',
        errors: lines,
        hint: `fix ${problem.display} (oj runbook check shows every problem); the project's other runbooks keep working`,
      });
    }
    const names = project.all('command').map((c) => c.name);
    const guess = didYouMean(name, names);
    const leftOut = this.d.projects.problems(root).filter((x) => x.outcome === 'left-out').map((x) => x.display);
    const note = leftOut.length ? `; left out because they do not load: ${leftOut.join(', ')} (oj status shows why)` : '';
    throw OjError.notFound('command', name, {
      hint: (guess ? guess : names.length ? `commands: ${names.join(', ')}` : 'this project defines no commands') + note,
    });
  }

  private startPipeline(project: Project, command: Command, values: Record<string, ArgValue>, p: RunParams): PipelineRecord {
    if (command.run.type !== 'pipeline') throw new Error('not a pipeline command');
    const pipeline = project.deref('pipeline', command.run.pipeline);
    const args = toJson(values);
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
    const definition = definitionFromModel(pipeline, { passed, command: commandEnv(command, values, p) });
    return this.d.engine.create({ project: p.project, definition, inputs, vars: args });
  }
}
