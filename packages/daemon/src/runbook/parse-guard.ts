/** `[guard.<name>]`: a shell condition checked before or after a phase. */
import { duration } from './duration.js';
import { GUARD_DEFAULTS, type Guard } from './model.js';
import type { ParseContext } from './parse-context.js';
import type { TomlTable } from './toml-value.js';

export const GUARD_FIELDS = ['condition', 'retry', 'timeout', 'on_timeout', 'wake_on'] as const;
export const GUARD_RETRY_FIELDS = ['max', 'interval'] as const;

export function parseGuard(ctx: ParseContext, name: string, table: TomlTable): Guard {
  const location = ctx.location('guard', name);
  const reader = ctx.open(table, location, GUARD_FIELDS, 'a guard');
  const retry = reader.child('retry', GUARD_RETRY_FIELDS);
  return {
    ...ctx.base('guard', name),
    condition: ctx.shell(reader, 'condition', { required: true }) ?? '',
    retry: {
      max: retry?.integer('max', { min: 0 }) ?? GUARD_DEFAULTS.retry_max,
      interval: retry?.duration('interval') ?? duration(GUARD_DEFAULTS.retry_interval),
    },
    timeout: reader.duration('timeout') ?? null,
    on_timeout: ctx.chain(reader, 'on_timeout', 'guard.on_timeout', GUARD_DEFAULTS.on_timeout),
    wake_on: ctx.eventPatterns(reader, 'wake_on'),
  };
}
