/** `[cron.<name>]`: runs monitors (and/or a pipeline or command) every interval. */
import type { Cron } from './model.js';
import type { ParseContext } from './parse-context.js';
import type { TomlTable } from './toml-value.js';

export const CRON_FIELDS = ['interval', 'monitors', 'run', 'events'] as const;

/** The shortest cron interval: every tick is a transaction, events and a run. */
export const MIN_CRON_INTERVAL_MS = 1000;

export function parseCron(ctx: ParseContext, name: string, table: TomlTable): Cron {
  const location = ctx.location('cron', name);
  const reader = ctx.open(table, location, CRON_FIELDS, 'a cron');
  const interval = reader.duration('interval', { required: true }) ?? { text: '1m', ms: 60_000 };
  if (interval.ms < MIN_CRON_INTERVAL_MS) {
    reader.error(
      'interval',
      `"${interval.text}" is shorter than the minimum of 1s`,
      'a cron ticks at most once a second; for work that reacts at once, use a worker with wake_on, or events',
    );
  }
  const monitors = ctx.refList(reader, 'monitors', 'monitor');
  const run = ctx.runTarget(reader, 'run', { required: false });
  if (!reader.has('monitors') && !reader.has('run')) {
    reader.error(undefined, 'a cron needs monitors, run, or both', 'e.g. monitors = ["stale_locks"] or run = { pipeline = "cleanup" }');
  }
  return {
    ...ctx.base('cron', name),
    interval,
    monitors,
    run,
    events: ctx.hooks(reader.raw('events'), location, 'events.'),
  };
}
