/** oj emit, oj events */
import { EventMethods, type EventRecord } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import { UsageError, printJson, println } from '../output/print.js';
import { style } from '../output/style.js';
import { formatClock } from '../output/time.js';
import { checkLimit } from './limit-option.js';
import { currentProject, withDaemon } from './run-command.js';

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
        .example('oj emit bug:created --id BUG-12 --data priority=1', ''),
    (argv) =>
      withDaemon(async (conn) => {
        const data = parsePairs(argv.data ?? []);
        const project = currentProject();
        const { event } = await conn.call(EventMethods.Emit, {
          name: argv.name,
          ...(argv.id !== undefined ? { subject: argv.id } : {}),
          data,
          ...(project ? { project } : {}),
        });
        if (argv.json) printJson(event);
        else println(`event #${event.id} ${event.name}`);
      }),
  );
}

export function eventsCommand(y: Argv): Argv {
  return y.command(
    'events',
    'List events; --follow streams new ones as they happen',
    (a) =>
      a
        .option('since', { type: 'number', describe: 'only events with an id greater than this' })
        .option('name', { type: 'string', describe: 'name pattern, * matches anything (pipeline:*)' })
        .option('limit', { alias: 'n', type: 'number', describe: 'how many (default 100)' })
        .option('follow', { alias: 'f', type: 'boolean', describe: 'keep streaming new events' })
        .option('project', { type: 'string', describe: 'only events of this project root' })
        .option('json', { type: 'boolean', describe: 'one JSON object per line' })
        .check(checkLimit('events', { zeroMeansAll: false })),
    (argv) =>
      withDaemon(async (conn) => {
        const filter = {
          ...(argv.name ? { name: argv.name } : {}),
          ...(argv.project ? { project: argv.project } : {}),
        };
        const print = (e: EventRecord) => (argv.json ? println(JSON.stringify(e)) : println(formatEvent(e)));
        if (!argv.follow) {
          const { events } = await conn.call(EventMethods.List, {
            ...filter,
            ...(argv.since !== undefined ? { since: argv.since } : {}),
            ...(argv.limit !== undefined ? { limit: argv.limit } : {}),
          });
          events.forEach(print);
          return 0;
        }
        conn.on(EventMethods.EventNotification, ({ event }) => print(event));
        await conn.call(EventMethods.Follow, { ...filter, ...(argv.since !== undefined ? { since: argv.since } : {}) });
        await new Promise<void>((resolve) => {
          conn.onClose(() => resolve());
          process.once('SIGINT', () => resolve());
        });
        return 0;
      }),
  );
}

export function formatEvent(e: EventRecord): string {
  const data = Object.entries(e.data)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return [style.dim(`#${e.id}`), formatClock(e.time), style.cyan(e.name), e.subject ?? '', data]
    .filter((s) => s.length > 0)
    .join('  ');
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
