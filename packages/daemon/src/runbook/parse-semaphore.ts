/** `[semaphore.<name>]`: at most `max` simultaneous holders. */
import { duration } from './duration.js';
import { SEMAPHORE_DEFAULTS, type Semaphore } from './model.js';
import type { ParseContext } from './parse-context.js';
import type { TomlTable } from './toml-value.js';

export const SEMAPHORE_FIELDS = ['max', 'slot_timeout', 'slot_heartbeat', 'on_orphan', 'on_orphan_work'] as const;

export function parseSemaphore(ctx: ParseContext, name: string, table: TomlTable): Semaphore {
  const reader = ctx.open(table, ctx.location('semaphore', name), SEMAPHORE_FIELDS, 'a semaphore');
  const heartbeat = reader.duration('slot_heartbeat') ?? duration(SEMAPHORE_DEFAULTS.slot_heartbeat);
  if (heartbeat.ms === 0) reader.error('slot_heartbeat', 'must be longer than 0s');
  return {
    ...ctx.base('semaphore', name),
    max: reader.integer('max', { required: true, min: 1 }) ?? 1,
    slot_timeout: reader.duration('slot_timeout') ?? null,
    slot_heartbeat: heartbeat,
    on_orphan: ctx.chain(reader, 'on_orphan', 'semaphore.on_orphan', SEMAPHORE_DEFAULTS.on_orphan),
    on_orphan_work: ctx.chain(reader, 'on_orphan_work', 'semaphore.on_orphan_work', SEMAPHORE_DEFAULTS.on_orphan_work),
  };
}
