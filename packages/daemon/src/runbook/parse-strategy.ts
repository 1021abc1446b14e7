/** `[strategy.<name>]` and its `[[strategy.<name>.attempt]]` fallback chain. */
import { isValidName } from './kinds.js';
import { STRATEGY_DEFAULTS, type Attempt, type AttemptRun, type Strategy } from './model.js';
import type { ParseContext } from './parse-context.js';
import type { TableReader } from './table-reader.js';
import { describeValue, isTable, type TomlTable } from './toml-value.js';

export const STRATEGY_FIELDS = ['checkpoint', 'attempt', 'on_exhaust'] as const;
export const ATTEMPT_FIELDS = ['name', 'run', 'agent', 'timeout', 'rollback'] as const;

function attemptRun(ctx: ParseContext, reader: TableReader): AttemptRun {
  if (reader.has('run') && reader.has('agent')) {
    reader.error('agent', 'an attempt runs one thing: set run or agent, not both');
    return { type: 'shell', shell: '' };
  }
  if (reader.has('agent')) {
    const agent = ctx.ref(reader, 'agent', 'agent');
    return agent === null ? { type: 'shell', shell: '' } : { type: 'agent', agent };
  }
  const run = reader.raw('run');
  if (isTable(run)) {
    const keys = Object.keys(run);
    if (keys.length === 1 && keys[0] === 'agent' && typeof run['agent'] === 'string') {
      return { type: 'agent', agent: ctx.refText(run['agent'], 'agent', reader.at('run.agent')) };
    }
    reader.error('run', `expected a shell command or { agent = "name" }, got ${describeValue(run)}`);
    return { type: 'shell', shell: '' };
  }
  if (run === undefined) {
    reader.error(undefined, 'an attempt needs run or agent');
    return { type: 'shell', shell: '' };
  }
  return { type: 'shell', shell: ctx.shell(reader, 'run') ?? '' };
}

export function parseStrategy(ctx: ParseContext, name: string, table: TomlTable): Strategy {
  const location = ctx.location('strategy', name);
  const reader = ctx.open(table, location, STRATEGY_FIELDS, 'a strategy');
  const tables = reader.tables('attempt', { required: true }) ?? [];
  if (reader.has('attempt') && tables.length === 0) reader.error('attempt', 'a strategy needs at least one attempt');
  const attempts: Attempt[] = tables.map((attemptTable, index) => {
    const rawName = attemptTable['name'];
    const at = typeof rawName === 'string' ? `attempt[${index}] "${rawName}"` : `attempt[${index}]`;
    const attempt = ctx.open(attemptTable, ctx.location('strategy', name, at), ATTEMPT_FIELDS, 'an attempt');
    const attemptName = attempt.string('name', { required: true }) ?? `attempt-${index}`;
    if (!isValidName(attemptName)) attempt.error('name', `"${attemptName}" is not a valid attempt name`);
    return {
      name: attemptName,
      index,
      run: attemptRun(ctx, attempt),
      timeout: attempt.duration('timeout') ?? null,
      rollback: ctx.shell(attempt, 'rollback') ?? null,
    };
  });
  attempts.forEach((attempt, index) => {
    if (attempts.findIndex((a) => a.name === attempt.name) !== index) {
      const location = { ...ctx.location('strategy', name, `attempt[${index}] "${attempt.name}"`), field: 'name' };
      ctx.sink.add(location, `attempt "${attempt.name}" is defined twice`);
    }
  });
  return {
    ...ctx.base('strategy', name),
    checkpoint: ctx.shell(reader, 'checkpoint') ?? null,
    attempt: attempts,
    on_exhaust: ctx.chain(reader, 'on_exhaust', 'strategy.on_exhaust', STRATEGY_DEFAULTS.on_exhaust),
  };
}
