/** `[lock.<name>]`: exclusive access to a resource. */
import { duration } from './duration.js';
import { LOCK_DEFAULTS, type Lock } from './model.js';
import type { ParseContext } from './parse-context.js';
import type { TomlTable } from './toml-value.js';

export const LOCK_FIELDS = ['timeout', 'heartbeat', 'on_stale'] as const;

export function parseLock(ctx: ParseContext, name: string, table: TomlTable): Lock {
  const reader = ctx.open(table, ctx.location('lock', name), LOCK_FIELDS, 'a lock');
  const heartbeat = reader.duration('heartbeat') ?? duration(LOCK_DEFAULTS.heartbeat);
  if (heartbeat.ms === 0) reader.error('heartbeat', 'must be longer than 0s');
  return {
    ...ctx.base('lock', name),
    timeout: reader.duration('timeout') ?? null,
    heartbeat,
    on_stale: ctx.chain(reader, 'on_stale', 'lock.on_stale', LOCK_DEFAULTS.on_stale),
  };
}
