/**
 * `[action.<name>]`: a named shell operation with cooldown; adds to or
 * overrides the built-in actions. Without `run`, an action named like a
 * built-in only sets that built-in's cooldown and max_attempts.
 */
import { duration } from './duration.js';
import { ACTION_DEFAULTS, type Action } from './model.js';
import type { ParseContext } from './parse-context.js';
import { isBuiltinAction } from '../core/recovery/index.js';
import type { TomlTable } from './toml-value.js';

export const ACTION_FIELDS = ['run', 'cooldown', 'max_attempts'] as const;

export function parseAction(ctx: ParseContext, name: string, table: TomlTable): Action {
  const reader = ctx.open(table, ctx.location('action', name), ACTION_FIELDS, 'an action');
  // Without `run`, [action.<built-in>] tunes the built-in (cooldown, max_attempts) instead of replacing it.
  return {
    ...ctx.base('action', name),
    run: ctx.shell(reader, 'run', { required: !isBuiltinAction(name) }) ?? '',
    cooldown: reader.duration('cooldown') ?? duration(ACTION_DEFAULTS.cooldown),
    max_attempts: reader.integer('max_attempts', { min: 1 }) ?? null,
  };
}
