/** `[worker.<name>]`: drains a queue through a handler pipeline. */
import { duration, parseDuration } from './duration.js';
import { WORKER_DEFAULTS, type IdleAction, type Worker } from './model.js';
import type { ParseContext } from './parse-context.js';
import type { TableReader } from './table-reader.js';
import type { TomlTable } from './toml-value.js';

export const WORKER_FIELDS = ['queue', 'handler', 'concurrency', 'idle_action', 'wake_on', 'events'] as const;

/** The idle action a worker without one has, and what a wrong one falls back to (after its error). */
const DEFAULT_IDLE_ACTION = `wait:${WORKER_DEFAULTS.idle_wait}`;
const defaultIdle = (): IdleAction => ({ type: 'wait', duration: duration(WORKER_DEFAULTS.idle_wait) });

function idleAction(reader: TableReader): IdleAction {
  const text = reader.string('idle_action') ?? DEFAULT_IDLE_ACTION;
  if (text === 'stop') return { type: 'stop' };
  const hint = 'idle_action is "wait:<duration>", e.g. "wait:30s", or "stop"';
  if (!text.startsWith('wait:')) {
    reader.error('idle_action', `"${text}" is not an idle action`, hint);
    return defaultIdle();
  }
  const parsed = parseDuration(text.slice(5));
  if (!parsed.ok) {
    reader.error('idle_action', `bad duration in "${text}": ${parsed.message}`, parsed.hint);
    return defaultIdle();
  }
  return { type: 'wait', duration: parsed.duration };
}

export function parseWorker(ctx: ParseContext, name: string, table: TomlTable): Worker {
  const location = ctx.location('worker', name);
  const reader = ctx.open(table, location, WORKER_FIELDS, 'a worker');
  const queue = ctx.ref(reader, 'queue', 'queue', { required: true }) ?? { ref: '', id: '' };
  const handler = ctx.ref(reader, 'handler', 'pipeline', { required: true }) ?? { ref: '', id: '' };
  return {
    ...ctx.base('worker', name),
    queue,
    handler,
    concurrency: reader.integer('concurrency', { min: 1 }) ?? WORKER_DEFAULTS.concurrency,
    idle_action: idleAction(reader),
    wake_on: ctx.eventPatterns(reader, 'wake_on'),
    events: ctx.hooks(reader.raw('events'), location, 'events.'),
  };
}
