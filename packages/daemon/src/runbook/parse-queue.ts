/** `[queue.<name>]`: work items, persisted (`oj queue add`) or from a `source` command. */
import { duration } from './duration.js';
import { QUEUE_DEFAULTS, type OrderTerm, type Queue } from './model.js';
import type { ParseContext } from './parse-context.js';
import type { TableReader } from './table-reader.js';
import type { TomlTable } from './toml-value.js';

export const QUEUE_FIELDS = ['source', 'order', 'visibility_timeout', 'max_retries', 'on_exhaust', 'dead'] as const;
export const QUEUE_DEAD_FIELDS = ['retention'] as const;

const TERM = /^([A-Za-z_][A-Za-z0-9_.]*)(?:\s+(asc|desc))?$/i;

/** `priority` or `priority DESC, created_at ASC`: fields with an optional direction (default ASC). */
export function parseOrder(text: string): { ok: true; terms: OrderTerm[] } | { ok: false; message: string } {
  const terms: OrderTerm[] = [];
  for (const raw of text.split(',')) {
    const match = TERM.exec(raw.trim());
    if (match === null) return { ok: false, message: `"${raw.trim()}" is not an order term` };
    terms.push({ field: match[1]!, direction: (match[2] ?? 'asc').toLowerCase() === 'desc' ? 'desc' : 'asc' });
  }
  return { ok: true, terms };
}

function order(reader: TableReader): Queue['order'] {
  const text = reader.string('order') ?? QUEUE_DEFAULTS.order;
  const parsed = parseOrder(text);
  if (parsed.ok) return { text, terms: parsed.terms };
  reader.error('order', parsed.message, 'order is a comma-separated list of item fields, each optionally ASC or DESC');
  return { text, terms: [] };
}

export function parseQueue(ctx: ParseContext, name: string, table: TomlTable): Queue {
  const location = ctx.location('queue', name);
  const reader = ctx.open(table, location, QUEUE_FIELDS, 'a queue');
  const dead = reader.child('dead', QUEUE_DEAD_FIELDS);
  return {
    ...ctx.base('queue', name),
    source: ctx.shell(reader, 'source') ?? null,
    order: order(reader),
    visibility_timeout: reader.duration('visibility_timeout') ?? duration(QUEUE_DEFAULTS.visibility_timeout),
    max_retries: reader.integer('max_retries', { min: 0 }) ?? QUEUE_DEFAULTS.max_retries,
    on_exhaust: ctx.chain(reader, 'on_exhaust', 'queue.on_exhaust', QUEUE_DEFAULTS.on_exhaust),
    dead: { retention: dead?.duration('retention') ?? duration(QUEUE_DEFAULTS.retention) },
  };
}
