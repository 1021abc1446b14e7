/** `[pipeline.<name>]` and its `[[pipeline.<name>.phase]]` array. */
import { didYouMean } from './did-you-mean.js';
import { isValidName } from './kinds.js';
import type { OnFail, Phase, PhaseRun, Pipeline } from './model.js';
import type { ParseContext } from './parse-context.js';
import { parseEnv } from './parse-env.js';
import { PIPELINE_RUNTIME_NAMES } from './runtime-names.js';
import { TableReader } from './table-reader.js';
import { describeValue, isTable, type TomlTable } from './toml-value.js';

export const PIPELINE_FIELDS = ['inputs', 'defaults', 'phase', 'events', 'max_phase_visits', 'env'] as const;
export const PHASE_FIELDS = [
  'name',
  'run',
  'agent',
  'strategy',
  'pre',
  'post',
  'lock',
  'semaphore',
  'next',
  'on_fail',
  'cwd',
  'timeout',
] as const;

/** A phase as read, before `next` and `on_fail` are checked against the other phases. */
interface PhaseDraft {
  phase: Phase;
  reader: TableReader;
  next: string | undefined;
  onFail: unknown;
}

function phaseRun(ctx: ParseContext, reader: TableReader): PhaseRun {
  const given = (['run', 'agent', 'strategy'] as const).filter((key) => reader.has(key));
  if (given.length > 1) {
    const hint = 'agent = "x" is the same as run = { agent = "x" }';
    reader.error(given[1], `a phase runs one thing: set only one of ${given.join(', ')}`, hint);
    return { type: 'none' };
  }
  if (reader.has('agent')) {
    const agent = ctx.ref(reader, 'agent', 'agent');
    return agent === null ? { type: 'none' } : { type: 'agent', agent };
  }
  if (reader.has('strategy')) {
    const strategy = ctx.ref(reader, 'strategy', 'strategy');
    return strategy === null ? { type: 'none' } : { type: 'strategy', strategy };
  }
  const run = reader.raw('run');
  if (run === undefined) return { type: 'none' };
  if (typeof run === 'string') {
    const shell = ctx.shell(reader, 'run');
    return shell === undefined ? { type: 'none' } : { type: 'shell', shell };
  }
  if (isTable(run)) {
    if (Object.hasOwn(run, 'pipeline')) {
      reader.error('run', 'a phase cannot start a pipeline', 'run it from a shell command, e.g. run = "oj run <command> ..."');
      return { type: 'none' };
    }
    const inner = TableReader.open(run, reader.location, ctx.sink, ['agent', 'strategy'], '"run"', 'run.');
    const keys = Object.keys(run).filter((k) => k === 'agent' || k === 'strategy');
    if (keys.length !== 1) {
      reader.error('run', 'expected { agent = "name" } or { strategy = "name" }');
      return { type: 'none' };
    }
    if (keys[0] === 'agent') {
      const agent = ctx.ref(inner, 'agent', 'agent');
      return agent === null ? { type: 'none' } : { type: 'agent', agent };
    }
    const strategy = ctx.ref(inner, 'strategy', 'strategy');
    return strategy === null ? { type: 'none' } : { type: 'strategy', strategy };
  }
  reader.error('run', `expected a shell command, { agent = "name" } or { strategy = "name" }, got ${describeValue(run)}`);
  return { type: 'none' };
}

function readPhase(ctx: ParseContext, pipeline: string, table: TomlTable, index: number): PhaseDraft {
  const rawName = table['name'];
  const at = typeof rawName === 'string' ? `phase[${index}] "${rawName}"` : `phase[${index}]`;
  const reader = ctx.open(table, ctx.location('pipeline', pipeline, at), PHASE_FIELDS, 'a phase');
  const name = reader.string('name', { required: true }) ?? '';
  if (name !== '' && !isValidName(name)) {
    reader.error('name', `"${name}" is not a valid phase name`, 'use letters, digits, _ and -, starting with a letter or _');
  }
  const lock = ctx.ref(reader, 'lock', 'lock');
  const semaphore = ctx.ref(reader, 'semaphore', 'semaphore');
  const cwd = reader.string('cwd', { nonEmpty: true }) ?? null;
  const phase: Phase = {
    name,
    index,
    run: phaseRun(ctx, reader),
    pre: ctx.refList(reader, 'pre', 'guard'),
    post: ctx.refList(reader, 'post', 'guard'),
    lock,
    semaphore,
    next: null,
    on_fail: null,
    cwd,
    timeout: reader.duration('timeout') ?? null,
  };
  return { phase, reader, next: reader.string('next'), onFail: reader.raw('on_fail') };
}

/**
 * `on_fail`: a phase name of this pipeline (a jump) or a recovery chain. An
 * unknown single name is reported with suggestions from both the phases and
 * the actions.
 */
function onFail(ctx: ParseContext, draft: PhaseDraft, phaseNames: readonly string[]): OnFail | null {
  const value = draft.onFail;
  if (value === undefined) return null;
  if (typeof value === 'string' && phaseNames.includes(value)) return { type: 'phase', phase: value };
  const chain = ctx.chainValue(value, 'phase.on_fail', draft.reader.at('on_fail'), typeof value === 'string' ? phaseNames : []);
  return chain === undefined ? null : { type: 'chain', chain };
}

export function parsePipeline(ctx: ParseContext, name: string, table: TomlTable): Pipeline {
  const location = ctx.location('pipeline', name);
  const reader = ctx.open(table, location, PIPELINE_FIELDS, 'a pipeline');
  const inputs = reader.stringList('inputs') ?? [];
  inputs.forEach((input, index) => {
    if (!isValidName(input)) reader.error(`inputs[${index}]`, `"${input}" is not a valid input name`);
    if (inputs.indexOf(input) !== index) reader.error(`inputs[${index}]`, `input "${input}" is listed twice`);
  });
  const defaults = reader.stringMap('defaults', { scalars: true }) ?? {};
  const known = [...inputs, ...PIPELINE_RUNTIME_NAMES];
  Object.entries(defaults).forEach(([key, template], index) => {
    const before = Object.keys(defaults).slice(0, index);
    const label = 'inputs, earlier defaults and runtime values';
    ctx.checkPlaceholders(template, false, [...known, ...before], reader.at(`defaults.${key}`), label);
  });

  const tables = reader.tables('phase', { required: true }) ?? [];
  if (reader.has('phase') && tables.length === 0) reader.error('phase', 'a pipeline needs at least one phase');
  const drafts = tables.map((t, index) => readPhase(ctx, name, t, index));
  const names = drafts.map((d) => d.phase.name);
  const scope = [...known, ...Object.keys(defaults)];

  drafts.forEach((draft, index) => {
    const { phase } = draft;
    if (phase.name !== '' && names.indexOf(phase.name) !== index) {
      draft.reader.error('name', `phase "${phase.name}" is defined twice in this pipeline`);
    }
    if (draft.next !== undefined) {
      if (names.includes(draft.next)) phase.next = draft.next;
      else draft.reader.error('next', `unknown phase "${draft.next}"`, didYouMean(draft.next, names) ?? `phases: ${names.join(', ')}`);
    } else {
      phase.next = names[index + 1] ?? null;
    }
    phase.on_fail = onFail(ctx, draft, names);
    if (phase.run.type === 'shell') {
      ctx.checkPlaceholders(phase.run.shell, true, scope, draft.reader.at('run'), 'inputs, defaults and runtime values');
    }
    if (phase.cwd !== null) {
      ctx.checkPlaceholders(phase.cwd, false, scope, draft.reader.at('cwd'), 'inputs, defaults and runtime values');
    }
  });

  return {
    ...ctx.base('pipeline', name),
    inputs,
    defaults,
    phase: drafts.map((d) => d.phase),
    events: ctx.hooks(reader.raw('events'), location, 'events.'),
    max_phase_visits: reader.integer('max_phase_visits', { min: 1 }) ?? ctx.config.pipeline.max_phase_visits,
    env: parseEnv(ctx, reader, scope, 'inputs, defaults and runtime values'),
  };
}
