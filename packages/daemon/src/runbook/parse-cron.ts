/**
 * `[cron.<name>]`: runs monitors (and/or a pipeline or command) every
 * `interval`, or on the calendar of a cron expression (`schedule`, in
 * `timezone`, spread by `jitter`); `catch_up` says what happens to slots
 * missed while the daemon was down.
 */
import { calendarFrom, canonicalTimeZone, knownTimeZones } from './croner-schedule.js';
import { closest } from './did-you-mean.js';
import { CRON_DEFAULTS, type CatchUpPolicy, type Cron } from './model.js';
import type { ParseContext } from './parse-context.js';
import type { TableReader } from './table-reader.js';
import type { TomlTable } from './toml-value.js';

export const CRON_FIELDS = ['interval', 'schedule', 'timezone', 'jitter', 'catch_up', 'max_catch_up', 'monitors', 'run', 'events'] as const;

/** The shortest cron interval: every tick is a transaction, events and a run. */
export const MIN_CRON_INTERVAL_MS = 1000;

const CATCH_UP: readonly CatchUpPolicy[] = ['latest', 'none', 'all'];

const SCHEDULE_HINT = '5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or @hourly, @daily, @weekly; e.g. "0 9 * * 1-5"';

export function parseCron(ctx: ParseContext, name: string, table: TomlTable): Cron {
  const location = ctx.location('cron', name);
  const reader = ctx.open(table, location, CRON_FIELDS, 'a cron');
  const timing = readTiming(reader);
  const monitors = ctx.refList(reader, 'monitors', 'monitor');
  const run = ctx.runTarget(reader, 'run', { required: false });
  if (!reader.has('monitors') && !reader.has('run')) {
    reader.error(undefined, 'a cron needs monitors, run, or both', 'e.g. monitors = ["stale_locks"] or run = { pipeline = "cleanup" }');
  }
  return {
    ...ctx.base('cron', name),
    ...timing,
    ...readCatchUp(reader),
    monitors,
    run,
    events: ctx.hooks(reader.raw('events'), location, 'events.'),
  };
}

type Timing = Pick<Cron, 'interval' | 'schedule' | 'timezone' | 'jitter'>;

/** `interval`, or `schedule` with its `timezone` and `jitter`: one of the two, never both. */
function readTiming(reader: TableReader): Timing {
  if (reader.has('interval') && reader.has('schedule')) {
    reader.error('schedule', 'a cron has interval or schedule, not both', 'interval = "30m" runs every 30 minutes from when it is enabled; schedule = "*/30 * * * *" on the clock');
  }
  if (!reader.has('schedule')) {
    for (const field of ['timezone', 'jitter'] as const) {
      if (reader.has(field)) reader.error(field, `${field} applies to a schedule, and this cron has none`, 'e.g. schedule = "0 3 * * *"');
    }
    if (!reader.has('interval')) {
      reader.error(undefined, 'a cron needs interval or schedule', 'e.g. interval = "1h", or schedule = "0 9 * * 1-5" (with timezone = "Europe/Paris")');
      return { interval: { text: '1m', ms: 60_000 }, schedule: null, timezone: null, jitter: null };
    }
    const interval = reader.duration('interval', { required: true }) ?? { text: '1m', ms: 60_000 };
    if (interval.ms < MIN_CRON_INTERVAL_MS) {
      reader.error(
        'interval',
        `"${interval.text}" is shorter than the minimum of 1s`,
        'a cron ticks at most once a second; for work that reacts at once, use a worker with wake_on, or events',
      );
    }
    return { interval, schedule: null, timezone: null, jitter: null };
  }
  const timezone = readTimeZone(reader);
  const schedule = reader.string('schedule', { nonEmpty: true }) ?? null;
  const fields = schedule?.trim().split(/\s+/) ?? [];
  if (schedule !== null && !schedule.trim().startsWith('@') && fields.length !== 5 && fields.length !== 6) {
    reader.error('schedule', `bad schedule "${schedule}": it has ${fields.length} field${fields.length === 1 ? '' : 's'}`, SCHEDULE_HINT);
  } else if (schedule !== null && timezone !== undefined) {
    try {
      calendarFrom(schedule.trim(), timezone);
    } catch (err) {
      reader.error('schedule', `bad schedule "${schedule}": ${(err as Error).message}`, SCHEDULE_HINT);
    }
  }
  return { interval: null, schedule: schedule?.trim() ?? null, timezone: timezone ?? null, jitter: reader.duration('jitter') ?? null };
}

/** The zone as the time-zone database spells it; null when not given; undefined when it is not one. */
function readTimeZone(reader: TableReader): string | null | undefined {
  if (!reader.has('timezone')) return null;
  const written = reader.string('timezone', { nonEmpty: true });
  if (written === undefined) return undefined;
  const zone = canonicalTimeZone(written);
  if (zone === null) {
    const guess = closest(written, knownTimeZones());
    reader.error('timezone', `unknown time zone "${written}"`, guess ? `did you mean "${guess}"?` : 'an IANA time zone name, e.g. "Europe/Paris", "America/New_York" or "UTC"');
    return undefined;
  }
  return zone;
}

function readCatchUp(reader: TableReader): Pick<Cron, 'catch_up' | 'max_catch_up'> {
  let catchUp: CatchUpPolicy = CRON_DEFAULTS.catch_up;
  const written = reader.string('catch_up');
  const known = written === undefined || (CATCH_UP as readonly string[]).includes(written);
  if (written !== undefined && known) catchUp = written as CatchUpPolicy;
  if (!known) reader.error('catch_up', `"${written}" is not a catch-up rule`, 'one of "latest" (run once for the last missed slot), "none", "all" (each missed slot, up to max_catch_up)');
  const limit = CRON_DEFAULTS.max_catch_up_limit;
  const max = reader.integer('max_catch_up', { min: 1 });
  if (max !== undefined && max > limit) reader.error('max_catch_up', `must be at most ${limit}, got ${max}`);
  if (reader.has('max_catch_up') && known && catchUp !== 'all') {
    const given = written === undefined ? `the default is "${catchUp}"` : `this cron's is "${catchUp}"`;
    reader.error('max_catch_up', `max_catch_up applies to catch_up = "all", and ${given}`, 'add catch_up = "all", or remove max_catch_up');
  }
  return { catch_up: catchUp, max_catch_up: max !== undefined && max <= limit ? max : CRON_DEFAULTS.max_catch_up };
}
