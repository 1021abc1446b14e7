/**
 * One runbook file: TOML text -> primitives with unresolved references, plus
 * every problem found in the file. References are resolved later, once all
 * files of the project are parsed.
 */
import { ACTION_FIELDS, parseAction } from './parse-action.js';
import { AGENT_FIELDS, AGENT_INPUT_FIELDS, parseAgent } from './parse-agent.js';
import { COMMAND_FIELDS, parseCommand } from './parse-command.js';
import { ParseContext } from './parse-context.js';
import { CRON_FIELDS, parseCron } from './parse-cron.js';
import { GUARD_FIELDS, GUARD_RETRY_FIELDS, parseGuard } from './parse-guard.js';
import { LOCK_FIELDS, parseLock } from './parse-lock.js';
import { MONITOR_FIELDS, parseMonitor } from './parse-monitor.js';
import { PHASE_FIELDS, PIPELINE_FIELDS, parsePipeline } from './parse-pipeline.js';
import { QUEUE_DEAD_FIELDS, QUEUE_FIELDS, parseQueue } from './parse-queue.js';
import { parseSafety, SAFETY_FIELDS } from './parse-safety.js';
import { SEMAPHORE_FIELDS, parseSemaphore } from './parse-semaphore.js';
import { ATTEMPT_FIELDS, STRATEGY_FIELDS, parseStrategy } from './parse-strategy.js';
import { parseWorker, WORKER_FIELDS } from './parse-worker.js';
import { commentAbove } from './comment-description.js';
import { didYouMean } from './did-you-mean.js';
import { isKind, isValidName, KINDS, type Kind } from './kinds.js';
import type { Primitive, RunbookFile } from './model.js';
import type { ProjectConfig } from './project-config.js';
import type { ErrorSink } from './runbook-error.js';
import { SourceLocator } from './source-location.js';
import { parseToml } from './toml-file.js';
import { describeValue, isTable, type TomlTable } from './toml-value.js';

/** Every field of every kind (and of their nested tables), for docs and tooling. */
export const KIND_FIELDS = {
  command: COMMAND_FIELDS,
  worker: WORKER_FIELDS,
  cron: CRON_FIELDS,
  queue: QUEUE_FIELDS,
  'queue.dead': QUEUE_DEAD_FIELDS,
  pipeline: PIPELINE_FIELDS,
  'pipeline.phase': PHASE_FIELDS,
  agent: AGENT_FIELDS,
  'agent.inputs': AGENT_INPUT_FIELDS,
  guard: GUARD_FIELDS,
  'guard.retry': GUARD_RETRY_FIELDS,
  strategy: STRATEGY_FIELDS,
  'strategy.attempt': ATTEMPT_FIELDS,
  lock: LOCK_FIELDS,
  semaphore: SEMAPHORE_FIELDS,
  monitor: MONITOR_FIELDS,
  action: ACTION_FIELDS,
  safety: SAFETY_FIELDS,
} as const satisfies Record<string, readonly string[]>;

type KindParser = (ctx: ParseContext, name: string, table: TomlTable) => Primitive;

const PARSERS: Record<Kind, KindParser> = {
  command: parseCommand,
  worker: parseWorker,
  cron: parseCron,
  queue: parseQueue,
  pipeline: parsePipeline,
  agent: parseAgent,
  guard: parseGuard,
  strategy: parseStrategy,
  lock: parseLock,
  semaphore: parseSemaphore,
  monitor: parseMonitor,
  action: parseAction,
};

export interface RunbookSource {
  /** Runbook name: the file name without .toml. */
  name: string;
  /** Absolute path. */
  path: string;
  /** Path shown in messages. */
  display: string;
  text: string;
}

export interface ParsedRunbook {
  file: RunbookFile;
  primitives: Primitive[];
  context: ParseContext;
}

export function parseRunbookFile(source: RunbookSource, config: ProjectConfig, sink: ErrorSink): ParsedRunbook {
  const context = new ParseContext(source.name, source.display, sink, config);
  const file: RunbookFile = { name: source.name, path: source.path, display: source.display, events: {} };
  const primitives: Primitive[] = [];
  if (!isValidName(source.name)) {
    sink.add(
      { file: source.display },
      `"${source.name}" is not a valid runbook name`,
      'name runbook files with letters, digits, _ and - (the name is used in references like bugfix.agents)',
    );
  }
  const parsed = parseToml(source.text, source.display);
  if (!parsed.ok) {
    sink.errors.push(parsed.error);
    return { file, primitives, context };
  }
  for (const [key, value] of Object.entries(parsed.table)) {
    if (key === 'events') {
      file.events = context.hooks(value, { file: source.display, kind: 'events' }, '');
      continue;
    }
    if (key === 'safety') {
      const safety = parseSafety(context, value, source.display);
      if (safety) file.safety = safety;
      continue;
    }
    if (!isKind(key)) {
      sink.add(
        { file: source.display },
        `unknown kind "${key}"`,
        didYouMean(key, [...KINDS, 'events', 'safety']) ?? `kinds: ${KINDS.join(', ')}; and [events], [safety]`,
      );
      const line = new SourceLocator(source.text).topLevel(key);
      const error = sink.errors[sink.errors.length - 1];
      if (line !== undefined && error !== undefined) error.line = line;
      continue;
    }
    if (!isTable(value)) {
      sink.add({ file: source.display, kind: key }, `expected tables like [${key}.<name>], got ${describeValue(value)}`);
      continue;
    }
    for (const [name, body] of Object.entries(value)) {
      if (!isValidName(name)) {
        const hint = 'use letters, digits, _ and -, starting with a letter or _';
        sink.add({ file: source.display, kind: key, name }, `"${name}" is not a valid ${key} name`, hint);
        continue;
      }
      if (!isTable(body)) {
        sink.add({ file: source.display, kind: key, name }, `expected a table [${key}.${name}], got ${describeValue(body)}`);
        continue;
      }
      primitives.push(withCommentDescription(PARSERS[key](context, name, body), source.text));
    }
  }
  return { file, primitives, context };
}

/** A command without a `description` takes the comment right above its header (`# Build it.` above `[command.build]`). */
function withCommentDescription(primitive: Primitive, text: string): Primitive {
  if (primitive.kind !== 'command' || primitive.description !== '') return primitive;
  const comment = commentAbove(text, 'command', primitive.name);
  return comment === null ? primitive : { ...primitive, description: comment };
}
