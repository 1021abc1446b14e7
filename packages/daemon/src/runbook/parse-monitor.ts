/** `[monitor.<name>]`: find items, filter them by a condition, respond. */
import type { Monitor } from './model.js';
import type { ParseContext } from './parse-context.js';
import { isBuiltinAction } from '../core/recovery/index.js';
import type { TomlTable } from './toml-value.js';

export const MONITOR_FIELDS = ['source', 'condition', 'response', 'action', 'run'] as const;

export function parseMonitor(ctx: ParseContext, name: string, table: TomlTable): Monitor {
  const reader = ctx.open(table, ctx.location('monitor', name), MONITOR_FIELDS, 'a monitor');
  if (reader.has('action') && reader.has('run')) reader.error('run', 'set action or run, not both', 'run is another name for action');
  const actionKey = reader.has('run') && !reader.has('action') ? 'run' : 'action';
  const action = ctx.shell(reader, actionKey) ?? null;
  if (action !== null && isBuiltinAction(action.trim())) {
    const name = action.trim();
    reader.error(actionKey, `"${action}" would run a shell command named ${name}`, `to use the recovery action, write response = ["${name}"]`);
  }
  const response = reader.has('response') ? ctx.chain(reader, 'response', 'monitor.response', []) : null;
  if (response !== null && reader.has(actionKey)) {
    reader.error('response', `set response or ${actionKey}, not both`, 'response is a recovery chain; action is one shell command');
  }
  if (response === null && !reader.has('action') && !reader.has('run')) {
    reader.error(undefined, 'a monitor needs response (a recovery chain) or action (a shell command)');
  }
  if (response !== null && response.length === 0 && Array.isArray(reader.raw('response'))) {
    reader.error('response', 'an empty response does nothing', 'e.g. response = ["nudge", "escalate"]');
  }
  return {
    ...ctx.base('monitor', name),
    source: ctx.shell(reader, 'source') ?? null,
    condition: ctx.shell(reader, 'condition') ?? null,
    response,
    action,
  };
}
