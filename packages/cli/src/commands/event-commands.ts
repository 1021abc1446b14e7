/** oj emit, oj events */
import { EventMethods, type ClusterEventRecord, type EventRecord } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import { ExitCode, UsageError, printJson, println, reportError } from '../output/print.js';
import { style } from '../output/style.js';
import { formatClock } from '../output/time.js';
import { checkLimit } from './limit-option.js';
import { currentProject, withDaemon } from './run-command.js';

/** Options of `oj emit` itself; any other `--key value` becomes a data field. */
const EMIT_OPTIONS = new Set(['_', '$0', 'name', 'id', 'data', 'json', 'help', 'h', 'version']);

export function emitCommand(y: Argv): Argv {
  return y.command(
    'emit <name>',
    'Record an event (wakes workers and guards waiting on it)',
    (a) =>
      a
        .positional('name', { type: 'string', demandOption: true, describe: 'event name, e.g. bug:created' })
        .option('id', { type: 'string', describe: 'what the event is about' })
        .option('data', { type: 'string', array: true, describe: 'key=value pairs (repeatable)' })
        .option('json', { type: 'boolean', describe: 'print the recorded event as JSON' })
        // `--KEY VALUE` for any other KEY is a data field, as runbook hooks write them
        // (`oj emit pipeline:phase --id {name} --phase {phase}`): only this command accepts
        // unknown options, and takes their values verbatim (no number parsing, no camelCase copies).
        .strict(false)
        .parserConfiguration({ 'parse-numbers': false, 'camel-case-expansion': false })
        .usage('$0 emit <name> [--id X] [--data k=v]... [--KEY VALUE]...')
        .epilog(
          'Records an event (wakes workers and guards waiting on it).\n'
            + 'Data fields: each --data k=v, and each other --KEY VALUE option (values are kept as text).',
        )
        .example('oj emit bug:created --id BUG-12 --data priority=1', '')
        .example('oj emit pipeline:phase --id build-auth --phase merge', ''),
    (argv) => {
      let data: Record<string, string>;
      try {
        data = emitData(argv);
      } catch (err) {
        process.exitCode = reportError(err);
        return;
      }
      return withDaemon(async (conn) => {
        const project = currentProject();
        const { event } = await conn.call(EventMethods.Emit, {
          name: argv.name,
          ...(argv.id !== undefined ? { subject: argv.id } : {}),
          data,
          ...(project ? { project } : {}),
        });
        if (argv.json) printJson(event);
        else println(`event #${event.id} ${event.name}`);
      });
    },
  );
}

/** The data fields of `oj emit`: `--data k=v` pairs, then every other `--KEY VALUE` option. */
export function emitData(argv: Record<string, unknown>): Record<string, string> {
  // Unknown options are allowed here, not extra words: `oj emit a b` is still a usage error.
  const extra = ((argv._ as unknown[] | undefined) ?? []).slice(1);
  if (extra.length > 0) {
    throw new UsageError(`unexpected argument "${String(extra[0])}" (data fields are --data k=v or --KEY VALUE)`);
  }
  const data = parsePairs((argv.data as string[] | undefined) ?? []);
  for (const [key, value] of Object.entries(argv)) {
    if (EMIT_OPTIONS.has(key)) continue;
    if (Array.isArray(value)) throw new UsageError(`--${key} is given more than once`);
    if (typeof value !== 'string') throw new UsageError(`--${key} needs a value (--${key} VALUE is a data field)`);
    if (key in data) throw new UsageError(`data field "${key}" is given both by --data and by --${key}`);
    data[key] = value;
  }
  return data;
}

export function eventsCommand(y: Argv): Argv {
  return y.command(
    'events',
    'List events; --follow streams new ones as they happen',
    (a) =>
      a
        .option('since', { type: 'number', describe: 'only events with an id (--cluster: a seq) greater than this' })
        .option('name', { type: 'string', describe: 'name pattern, * matches anything (pipeline:*)' })
        .option('limit', { alias: 'n', type: 'number', describe: 'how many (default 100)' })
        .option('follow', { alias: 'f', type: 'boolean', describe: 'keep streaming new events' })
        .option('project', { type: 'string', describe: 'only events of this project root' })
        .option('cluster', { type: 'boolean', describe: 'every host\'s events by time (cluster mode)' })
        .option('json', { type: 'boolean', describe: 'one JSON object per line' })
        .conflicts('cluster', 'follow')
        .check(checkLimit('events', { zeroMeansAll: false })),
    (argv) =>
      withDaemon(async (conn) => {
        const filter = {
          ...(argv.name ? { name: argv.name } : {}),
          ...(argv.project ? { project: argv.project } : {}),
        };
        const print = (e: EventRecord) => (argv.json ? println(JSON.stringify(e)) : println(formatEvent(e)));
        if (argv.cluster) {
          const { events } = await conn.call(EventMethods.Cluster, {
            ...filter,
            ...(argv.since !== undefined ? { since: argv.since } : {}),
            ...(argv.limit !== undefined ? { limit: argv.limit } : {}),
          });
          for (const e of events) println(argv.json ? JSON.stringify(e) : formatClusterEvent(e));
          return 0;
        }
        if (!argv.follow) {
          const { events } = await conn.call(EventMethods.List, {
            ...filter,
            ...(argv.since !== undefined ? { since: argv.since } : {}),
            ...(argv.limit !== undefined ? { limit: argv.limit } : {}),
          });
          events.forEach(print);
          return 0;
        }
        conn.onNotification(EventMethods.EventNotification, ({ event }) => print(event));
        await conn.call(EventMethods.Follow, { ...filter, ...(argv.since !== undefined ? { since: argv.since } : {}) });
        // Until the daemon goes away (exit 1), or Ctrl-C (exit 130, output/interrupt.ts).
        await new Promise<void>((resolve) => conn.onClose(() => resolve()));
        process.stderr.write('oj: the daemon closed the connection\n');
        return ExitCode.Failure;
      }),
  );
}

export function formatEvent(e: EventRecord): string {
  return [style.dim(`#${e.id}`), formatClock(e.time), style.cyan(e.name), e.subject ?? '', dataText(e)]
    .filter((s) => s.length > 0)
    .join('  ');
}

/** `#seq  time  host#id  name  subject  data`: where it sits in the cluster's log, and which host recorded it as which id. */
export function formatClusterEvent(e: ClusterEventRecord): string {
  return [style.dim(`#${e.seq}`), formatClock(e.time), `${e.host}#${e.id}`, style.cyan(e.name), e.subject ?? '', dataText(e)]
    .filter((s) => s.length > 0)
    .join('  ');
}

function dataText(e: EventRecord): string {
  return Object.entries(e.data)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/** `k=v` pairs; a value may itself contain `=`. */
export function parsePairs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError(`--data expects key=value, got "${p}"`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}
