/**
 * Cross-file checks once every runbook is parsed: project-unique names,
 * reference and action resolution, prompt files, and the inputs a command or
 * cron must supply to the pipeline it runs.
 */
import { resolve } from 'node:path';
import { didYouMean } from './did-you-mean.js';
import { PROJECT_UNIQUE_KINDS, qualifiedId } from './kinds.js';
import type { Agent, Pipeline, Primitive, RunbookFile, RunTarget } from './model.js';
import type { PendingStep } from './parse-context.js';
import type { ParsedRunbook } from './parse-runbook-file.js';
import { PrimitiveIndex } from './primitive-index.js';
import type { ProjectConfig } from './project-config.js';
import { agentContextNames } from './agent-context-names.js';
import { checkPromptTemplate, type TemplateProblem } from './check-template.js';
import { BUILTIN_ACTIONS, checkStep, isBuiltinAction } from '../core/recovery/index.js';
import { parseReference, resolveReference } from './reference.js';
import type { ErrorLocation, ErrorSink } from './runbook-error.js';

/** The plain-data model of a loaded project. */
export interface ProjectModel {
  root: string;
  config: ProjectConfig;
  files: RunbookFile[];
  /** Every primitive, in file order then definition order. */
  primitives: Primitive[];
}

/** File access the checks need (prompt_file); injected so the checks stay testable. */
export interface ProjectFileAccess {
  /** Text of a file, or undefined when it does not exist or is not a file. */
  readText(path: string): string | undefined;
}

function locationOf(primitive: Primitive, display: string, field?: string): ErrorLocation {
  const location: ErrorLocation = { file: display, kind: primitive.kind, name: primitive.name };
  if (field !== undefined) location.field = field;
  return location;
}

function resolveStep(
  index: PrimitiveIndex,
  pending: PendingStep,
  fromFile: string,
  sink: ErrorSink,
  byId: ReadonlyMap<string, Primitive>,
): void {
  const { step, reference, location } = pending;
  const suffix = pending.implicit ? ' (in the default chain)' : '';
  const syntax = parseReference(reference);
  if (!syntax.ok) {
    sink.add(location, syntax.message + suffix, syntax.hint);
    return;
  }
  const qualified = syntax.parts.file !== null || syntax.parts.kind !== null;
  const defined = index.filesDefining('action', step.action);
  if (!qualified && defined.length === 0) {
    if (isBuiltinAction(step.action)) {
      step.builtin = true;
      checkContext(pending, sink);
      return;
    }
    const phaseHint = didYouMean(step.action, pending.phases);
    const candidates = [...BUILTIN_ACTIONS, ...index.allNames('action')];
    sink.add(
      location,
      pending.phases.length > 0
        ? `"${step.text}" is neither a phase of this pipeline nor an action`
        : `unknown action "${step.action}"${suffix}`,
      phaseHint ?? didYouMean(step.action, candidates) ?? `actions: ${candidates.join(', ')}`,
    );
    return;
  }
  const resolved = resolveReference(index, reference, 'action', fromFile);
  if (resolved.ok) {
    step.id = resolved.id;
    // A run-less [action.<built-in>] only tunes the built-in: the step stays built-in.
    const action = byId.get(resolved.id);
    if (action?.kind === 'action' && action.run === '' && isBuiltinAction(step.action)) step.builtin = true;
    checkContext(pending, sink);
  } else sink.add(location, resolved.message + suffix, resolved.hint);
}

/** A resolved step names an action its chain's context can run (core/recovery's table). */
function checkContext(pending: PendingStep, sink: ErrorSink): void {
  const problem = checkStep(pending.context, pending.step);
  if (!problem) return;
  const suffix = pending.implicit ? ' (in the default chain)' : '';
  sink.add(pending.location, problem.message + suffix, problem.hint);
}

/** Inputs of a pipeline that have no default: what its starter must supply. */
export function requiredInputs(pipeline: Pipeline): string[] {
  return pipeline.inputs.filter((input) => !Object.hasOwn(pipeline.defaults, input));
}

function checkRunTarget(
  owner: Primitive,
  run: RunTarget | null,
  supplied: readonly string[],
  byId: ReadonlyMap<string, Primitive>,
  display: string,
  sink: ErrorSink,
): void {
  if (run?.type !== 'pipeline') return;
  const pipeline = byId.get(run.pipeline.id);
  if (pipeline?.kind !== 'pipeline') return;
  for (const input of requiredInputs(pipeline)) {
    if (supplied.includes(input)) continue;
    const hint =
      owner.kind === 'command'
        ? `declare an argument "${input}" in args, or give the pipeline a default for it`
        : `give pipeline ${pipeline.name} a default for "${input}"`;
    const message = `pipeline "${pipeline.name}" needs input "${input}", which ${owner.kind} ${owner.name} does not supply`;
    sink.add(locationOf(owner, display, 'run.pipeline'), message, hint);
  }
}

function reportTemplate(
  agent: Agent,
  display: string,
  field: 'prompt' | 'prompt_file',
  where: (line: number | null) => string,
  problems: readonly TemplateProblem[],
  sink: ErrorSink,
): void {
  for (const problem of problems) sink.add(locationOf(agent, display, field), `${where(problem.line)}${problem.message}`, problem.hint);
}

/** `prompt` and `prompt_file` compile, and look up only names the agent's context can hold. */
function checkPrompt(agent: Agent, known: ReadonlySet<string> | null, root: string, display: string, files: ProjectFileAccess, sink: ErrorSink): void {
  if (agent.prompt !== null) {
    const where = (line: number | null) => (line === null ? 'template error: ' : `template error at line ${line}: `);
    reportTemplate(agent, display, 'prompt', where, checkPromptTemplate(agent.prompt, known), sink);
  }
  if (agent.prompt_file === null) return;
  const path = resolve(root, agent.prompt_file);
  agent.prompt_path = path;
  const text = files.readText(path);
  if (text === undefined) {
    const hint = `prompt_file paths are relative to the project root, ${root}`;
    sink.add(locationOf(agent, display, 'prompt_file'), `file "${agent.prompt_file}" not found`, hint);
    return;
  }
  const name = agent.prompt_file;
  const where = (line: number | null) => (line === null ? `template error in ${name}: ` : `template error in ${name}:${line}: `);
  reportTemplate(agent, display, 'prompt_file', where, checkPromptTemplate(text, known), sink);
}

export function assembleProject(
  root: string,
  config: ProjectConfig,
  runbooks: readonly ParsedRunbook[],
  files: ProjectFileAccess,
  sink: ErrorSink,
): ProjectModel {
  const index = new PrimitiveIndex();
  const byId = new Map<string, Primitive>();
  const displayOf = new Map<string, string>();
  for (const runbook of runbooks) {
    index.addFile(runbook.file.name);
    displayOf.set(runbook.file.name, runbook.file.display);
    for (const primitive of runbook.primitives) {
      index.add(primitive.kind, primitive.name, primitive.file);
      byId.set(primitive.id, primitive);
    }
  }

  for (const kind of PROJECT_UNIQUE_KINDS) {
    for (const name of index.allNames(kind)) {
      const [first, ...others] = index.filesDefining(kind, name);
      for (const other of others) {
        const primitive = byId.get(qualifiedId(other, kind, name));
        if (primitive === undefined) continue;
        sink.add(
          locationOf(primitive, displayOf.get(other) ?? other),
          `${kind} "${name}" is also defined in ${displayOf.get(first ?? '') ?? first}`,
          `${kind} names are used on the command line and must be unique in a project; rename one`,
        );
      }
    }
  }

  for (const runbook of runbooks) {
    for (const pending of runbook.context.refs) {
      const resolved = resolveReference(index, pending.ref.ref, pending.kind, runbook.file.name);
      if (resolved.ok) pending.ref.id = resolved.id;
      else sink.add(pending.location, resolved.message, resolved.hint);
    }
    for (const pending of runbook.context.steps) resolveStep(index, pending, runbook.file.name, sink, byId);
  }

  const allPrimitives = runbooks.flatMap((r) => r.primitives);
  for (const runbook of runbooks) {
    const display = runbook.file.display;
    for (const primitive of runbook.primitives) {
      if (primitive.kind === 'agent') checkPrompt(primitive, agentContextNames(primitive, allPrimitives, byId), root, display, files, sink);
      if (primitive.kind === 'command') {
        const supplied = [...primitive.args.positionals.map((p) => p.name), ...primitive.args.options.map((o) => o.name)];
        checkRunTarget(primitive, primitive.run, supplied, byId, display, sink);
      }
      if (primitive.kind === 'cron') checkRunTarget(primitive, primitive.run, [], byId, display, sink);
    }
  }

  return {
    root,
    config,
    files: runbooks.map((r) => r.file),
    primitives: runbooks.flatMap((r) => r.primitives),
  };
}
