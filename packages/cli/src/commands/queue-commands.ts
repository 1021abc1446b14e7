/** oj queue ...: add, list, take, complete, fail, requeue, remove, bury, dead letters, retry, attempts. */
import { readFileSync } from 'node:fs';
import { QUEUE_BATCH_MAX, QueueMethods } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import { UsageError, printJson, println } from '../output/print.js';
import { style } from '../output/style.js';
import { field, formatTable, indentBlock } from '../output/table.js';
import { formatAgo } from '../output/time.js';
import { ItemTooLargeError, chunkItems } from './queue-chunks.js';
import { parseItemArgs, parseJsonItems } from './queue-args.js';
import { projectOf, withProjectOption } from './queue-scope.js';
import { withDaemon } from './run-command.js';
import { checkLimit } from './limit-option.js';

export { cronCommands } from './cron-commands.js';
export { workerCommands } from './worker-commands.js';

type Item = QueueMethods.QueueItemInfo;
type Attempt = QueueMethods.QueueAttemptInfo;

const STATUSES = ['pending', 'taken', 'completed', 'dead', 'abandoned'] as const;
const HUMAN_LIMIT = 200;

export function queueCommands(y: Argv): Argv {
  return withProjectOption(y)
    .command(
      ['list [queue]', 'ls'],
      "A queue's items in take order (without a queue: the project's queues)",
      (a) =>
        a
          .positional('queue', { type: 'string', describe: 'queue name' })
          .option('status', { type: 'string', describe: `only these statuses (comma-separated: ${STATUSES.join(', ')})` })
          .option('limit', { alias: 'n', type: 'number', describe: `at most this many items (default ${HUMAN_LIMIT}, with --json all; 0: all)` })
          .option('pull', { type: 'boolean', default: true, describe: 'run a source queue\'s command first (--no-pull to skip)' })
          .option('json', { type: 'boolean' })
          .check(checkLimit('items')),
      (argv) =>
        withDaemon(async (conn) => {
          const project = projectOf(argv);
          if (argv.queue === undefined) {
            if (argv.status) return listItems(conn, project, undefined, argv);
            const { queues } = await conn.call(QueueMethods.Queues, { project });
            if (argv.json) return printJson(queues);
            if (queues.length === 0) return println('this project defines no queues');
            process.stdout.write(
              formatTable(
                ['queue', 'pending', 'taken', 'dead', 'completed', 'workers', 'source'],
                queues.map((q) => [
                  q.name,
                  String(q.counts.pending),
                  String(q.counts.taken),
                  q.counts.dead ? style.red(String(q.counts.dead)) : '0',
                  String(q.counts.completed),
                  q.workers.join(', ') || '-',
                  q.source ? (q.lastPullError ? style.red(`${q.source} (failing)`) : q.source) : '-',
                ]),
              ),
            );
            return;
          }
          return listItems(conn, project, argv.queue, argv);
        }),
    )
    .command(
      'list-all',
      'Items of every queue of the project',
      (a) =>
        a
          .option('status', { type: 'string', describe: `only these statuses (comma-separated: ${STATUSES.join(', ')})` })
          .option('limit', { alias: 'n', type: 'number', describe: `at most this many items (default ${HUMAN_LIMIT}, with --json all; 0: all)` })
          .option('json', { type: 'boolean' })
          .check(checkLimit('items')),
      (argv) => withDaemon((conn) => listItems(conn, projectOf(argv), undefined, argv)),
    )
    .command(
      'add <queue> [data..]',
      'Add an item: key=value pairs, or JSON objects/arrays (--stdin: JSON from stdin)',
      (a) =>
        a
          .positional('queue', { type: 'string', demandOption: true })
          .positional('data', { type: 'string', array: true, describe: 'key=value (numbers stay numbers; key:=<json> for any JSON), or JSON' })
          .option('stdin', { type: 'boolean', describe: 'read items from stdin: a JSON array, or one JSON object per line' })
          .option('json', { type: 'boolean', describe: 'print the result as JSON' })
          .example('oj queue add bugs id=BUG-12 title="Login fails" priority=2', '')
          .example(`oj queue add bugs '{"id": "BUG-13", "tags": ["ui"]}'`, '')
          .example('oj queue add bugs --stdin < bugs.json', ''),
      (argv) =>
        withDaemon(async (conn) => {
          const project = projectOf(argv);
          const args = (argv.data ?? []).map(String);
          // yargs drops a lone "-" from positionals: look for it in the raw arguments.
          const dash = args.length === 0 && process.argv.slice(2).includes('-');
          if (argv.stdin && args.length) throw new UsageError('give items either as arguments or with --stdin, not both');
          const items = argv.stdin || dash ? parseJsonItems(readFileSync(0, 'utf8'), 'stdin') : parseItemArgs(args);
          if (items.length === 0) throw new UsageError('no items given');
          let chunks;
          try {
            chunks = chunkItems(items);
          } catch (err) {
            if (err instanceof ItemTooLargeError) throw new UsageError(err.message);
            throw err;
          }
          const r = { ids: [] as string[], added: 0, duplicates: [] as string[] };
          for (const chunk of chunks) {
            const part = await conn.call(QueueMethods.Add, { project, queue: argv.queue, items: chunk });
            r.ids.push(...part.ids);
            r.added += part.added;
            r.duplicates.push(...part.duplicates);
          }
          if (argv.json) return printJson(r);
          if (r.added === 1 && r.duplicates.length === 0) println(`added ${argv.queue}/${r.ids[0]}`);
          else if (r.added > 0) println(`added ${r.added} items to ${argv.queue}${r.added <= 10 ? `: ${r.ids.join(', ')}` : ''}`);
          if (r.duplicates.length) {
            process.stderr.write(`already queued (not added): ${r.duplicates.slice(0, 20).join(', ')}${r.duplicates.length > 20 ? ', ...' : ''}\n`);
          }
          return r.added === 0 ? 1 : 0;
        }),
    )
    .command(
      'take <queue>',
      'Take the next item (--count N: up to N, in one transaction) and print its fields as JSON, a line per item (exit 1 when the queue is empty); complete or fail each before its visibility timeout',
      (a) =>
        a
          .positional('queue', { type: 'string', demandOption: true })
          .option('by', { type: 'string', describe: 'who takes it (shown in lists; default "cli")' })
          .option('count', { alias: 'n', type: 'number', describe: `take up to this many items at once (1..${QUEUE_BATCH_MAX}; fewer when fewer are visible)` })
          .option('json', { type: 'boolean', describe: 'print the whole item record (with --count: an array of them)' })
          .example('oj queue take bugs --count 10 | jq -r .id | xargs oj queue complete bugs', 'take ten, complete them in one call'),
      (argv) =>
        withDaemon(async (conn) => {
          const count = argv.count;
          if (count !== undefined && !(Number.isInteger(count) && count >= 1 && count <= QUEUE_BATCH_MAX)) {
            throw new UsageError(`--count ${String(count)}: a whole number from 1 to ${QUEUE_BATCH_MAX}`);
          }
          const { item, items } = await conn.call(QueueMethods.Take, {
            project: projectOf(argv),
            queue: argv.queue,
            ...(argv.by ? { by: argv.by } : {}),
            ...(count !== undefined ? { count } : {}),
          });
          if (!item) {
            process.stderr.write(`queue ${argv.queue} has no visible items\n`);
            return 1;
          }
          if (count === undefined) return argv.json ? printJson(item) : println(JSON.stringify(item.data));
          if (argv.json) return printJson(items);
          for (const i of items) println(JSON.stringify(i.data));
        }),
    )
    .command(
      'show <queue> <id>',
      'One item: fields, state and attempts',
      (a) => a.positional('queue', { type: 'string', demandOption: true }).positional('id', { type: 'string', demandOption: true }).option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const r = await conn.call(QueueMethods.Show, { project: projectOf(argv), queue: argv.queue, id: argv.id });
          if (argv.json) return printJson(r);
          printItem(r.item);
          if (r.attempts.length) {
            println('\nattempts:');
            printAttempts(r.attempts, '  ');
          }
        }),
    )
    .command(
      'complete <queue> <ids..>',
      `Mark items completed (up to ${QUEUE_BATCH_MAX} in one call: all or none; an error names the first that cannot be)`,
      (a) => idsArgs(a),
      (argv) => actMany(argv, (conn, p) => conn.call(QueueMethods.Complete, p)),
    )
    .command(
      'fail <queue> <ids..>',
      'Mark items failed (retried until max_retries, then on_exhaust; a pipeline holding one is cancelled); several: all or none',
      (a) => idsArgs(a).option('error', { alias: 'e', type: 'string', describe: 'what went wrong' }),
      (argv) => actMany(argv, (conn, p) => conn.call(QueueMethods.Fail, { ...p, ...(argv.error !== undefined ? { error: argv.error } : {}) })),
    )
    .command(
      'requeue <queue> <id>',
      'Put an item back in the queue (a pipeline holding it is cancelled; no failure counted)',
      (a) => itemArgs(a),
      (argv) => act(argv, (conn, p) => conn.call(QueueMethods.Requeue, p)),
    )
    .command(
      'remove <queue> <id>',
      'Delete an item and its history (a pipeline holding it is cancelled)',
      (a) => itemArgs(a),
      (argv) =>
        act(argv, (conn, p) => conn.call(QueueMethods.Remove, p), 'removed'),
    )
    .command(
      'bury <queue> <id>',
      'Move a pending or taken item straight to the dead letters (no retries, whatever on_exhaust says)',
      (a) => itemArgs(a).option('reason', { alias: 'r', type: 'string', describe: 'why (shown as its error)' }),
      (argv) =>
        act(argv, (conn, p) => conn.call(QueueMethods.Bury, { ...p, ...(argv.reason !== undefined ? { reason: argv.reason } : {}) })),
    )
    .command(
      'dead [queue]',
      'Dead-letter items (of one queue, or of every queue)',
      (a) => a.positional('queue', { type: 'string' }).option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const { items } = await conn.call(QueueMethods.Dead, {
            project: projectOf(argv),
            ...(argv.queue !== undefined ? { queue: argv.queue } : {}),
          });
          if (argv.json) return printJson(items);
          if (items.length === 0) return println('no dead items');
          process.stdout.write(
            formatTable(
              ['queue', 'id', 'failures', 'died', 'expires', 'error'],
              items.map((i) => [
                i.queue,
                i.id,
                String(i.failures),
                i.finishedAt ? formatAgo(i.finishedAt) : '-',
                i.expiresAt ? formatAgo(i.expiresAt) : '-',
                truncate(i.error ?? '', 70),
              ]),
            ),
          );
        }),
    )
    .command(
      'retry <queue> [id]',
      'Redrive a dead item (or --all of them): pending again, failure count reset',
      (a) =>
        a
          .positional('queue', { type: 'string', demandOption: true })
          .positional('id', { type: 'string' })
          .option('all', { type: 'boolean', describe: 'every dead item of the queue' })
          .option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          if (argv.id === undefined && !argv.all) throw new UsageError('say which item to retry, or --all');
          const { items } = await conn.call(QueueMethods.Retry, {
            project: projectOf(argv),
            queue: argv.queue,
            ...(argv.id !== undefined ? { id: argv.id } : {}),
            ...(argv.all ? { all: true } : {}),
          });
          if (argv.json) return printJson(items);
          if (items.length === 0) return println('no dead items');
          println(items.length === 1 ? `${argv.queue}/${items[0]!.id}: pending again` : `${items.length} items pending again`);
        }),
    )
    .command(
      'attempts <queue> <id>',
      "An item's attempts: who took it, when, and how each ended",
      (a) => a.positional('queue', { type: 'string', demandOption: true }).positional('id', { type: 'string', demandOption: true }).option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const r = await conn.call(QueueMethods.Attempts, { project: projectOf(argv), queue: argv.queue, id: argv.id });
          if (argv.json) return printJson(r.attempts);
          if (r.attempts.length === 0) return println(`${argv.queue}/${argv.id} has not been taken yet`);
          printAttempts(r.attempts, '');
        }),
    )
    .command(
      'pull <queue>',
      "Run a source queue's command now and add the new items it lists",
      (a) => a.positional('queue', { type: 'string', demandOption: true }).option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const r = await conn.call(QueueMethods.Pull, { project: projectOf(argv), queue: argv.queue });
          if (argv.json) return printJson(r);
          if (r.error) {
            process.stderr.write(`${style.red('error', process.stderr)}: ${r.error}\n`);
            return 1;
          }
          println(`${r.listed} listed, ${r.added.length} new${r.added.length && r.added.length <= 10 ? `: ${r.added.join(', ')}` : ''}`);
        }),
    )
    .demandCommand(1, 'say which queue command to run (oj queue --help lists them)');
}

function itemArgs(a: Argv) {
  return a
    .positional('queue', { type: 'string', demandOption: true })
    .positional('id', { type: 'string', demandOption: true })
    .option('json', { type: 'boolean' });
}

function idsArgs(a: Argv) {
  return a
    .positional('queue', { type: 'string', demandOption: true })
    .positional('ids', { type: 'string', array: true, demandOption: true, describe: `one or more item ids (up to ${QUEUE_BATCH_MAX})` })
    .option('json', { type: 'boolean', describe: 'print the item record (several ids: an array of them)' });
}

type Conn = Parameters<Parameters<typeof withDaemon>[0]>[0];

/** complete/fail of one or several items: `id` for one (as before batches existed), `ids` for several. */
function actMany(
  argv: { queue?: string; ids?: (string | number)[]; json?: boolean; project?: string },
  fn: (conn: Conn, p: { project: string; queue: string; id?: string; ids?: string[] }) => Promise<{ items: Item[] }>,
) {
  const ids = (argv.ids ?? []).map(String);
  if (ids.length > QUEUE_BATCH_MAX) throw new UsageError(`${ids.length} ids: at most ${QUEUE_BATCH_MAX} in one call`);
  return withDaemon(async (conn) => {
    const base = { project: projectOf(argv), queue: String(argv.queue) };
    const { items } = await fn(conn, ids.length === 1 ? { ...base, id: ids[0]! } : { ...base, ids });
    if (argv.json) return printJson(ids.length === 1 ? items[0] : items);
    for (const item of items) println(`${item.queue}/${item.id}: ${statusText(item)}`);
  });
}

function act(
  argv: { queue?: string; id?: string; json?: boolean; project?: string },
  fn: (conn: Conn, p: { project: string; queue: string; id: string }) => Promise<{ item: Item }>,
  verb?: string,
) {
  return withDaemon(async (conn) => {
    const { item } = await fn(conn, { project: projectOf(argv), queue: String(argv.queue), id: String(argv.id) });
    if (argv.json) return printJson(item);
    println(`${item.queue}/${item.id}: ${verb ?? statusText(item)}`);
  });
}

async function listItems(
  conn: Conn,
  project: string,
  queue: string | undefined,
  argv: { status?: string; limit?: number; json?: boolean; pull?: boolean },
): Promise<void> {
  const status = argv.status ? split(argv.status) : undefined;
  for (const s of status ?? []) {
    if (!(STATUSES as readonly string[]).includes(s)) throw new UsageError(`--status ${s}: statuses are ${STATUSES.join(', ')}`);
  }
  // People get the first screenfuls (the total is shown); scripts (--json) get everything unless they ask.
  const limit = argv.limit ?? (argv.json ? undefined : HUMAN_LIMIT);
  const { items, total } = await conn.call(QueueMethods.List, {
    project,
    ...(queue !== undefined ? { queue } : {}),
    ...(status ? { status: status as Item['status'][] } : {}),
    ...(limit ? { limit } : {}),
    ...(argv.pull === false ? { pull: false } : {}),
  });
  if (argv.json) return printJson(items);
  if (items.length === 0) return println(queue ? `queue ${queue} has no ${status ? status.join('/') + ' ' : ''}items` : 'no items');
  const headers = [...(queue === undefined ? ['queue'] : []), 'id', 'status', 'attempts', 'age', 'holder', 'fields'];
  process.stdout.write(
    formatTable(
      headers,
      items.map((i) => [
        ...(queue === undefined ? [i.queue] : []),
        i.id,
        statusText(i),
        String(i.attempts),
        formatAgo(i.createdAt),
        i.takenBy ?? '-',
        truncate(fields(i), 60),
      ]),
    ),
  );
  if (total > items.length) println(style.dim(`(${items.length} of ${total} shown; --limit N or --status to see others)`));
}

function printItem(i: Item): void {
  println(`${style.bold(`${i.queue}/${i.id}`)}  ${statusText(i)}`);
  println(`  fields     ${fields(i) || '-'}`);
  println(`  attempts   ${i.attempts} (${i.failures} failed since last redrive)`);
  println(`  added      ${formatAgo(i.createdAt)}${i.origin === 'source' ? ' (from the source command)' : ''}`);
  if (i.takenBy) println(`  ${i.status === 'taken' ? 'held by ' : 'taken by'}   ${i.takenBy}${i.worker ? ` (worker ${i.worker})` : ''}${i.host ? ` on host ${i.host}` : ''}${i.takenAt ? `, since ${formatAgo(i.takenAt)}` : ''}`);
  if (i.finishedAt) println(`  finished   ${formatAgo(i.finishedAt)}`);
  if (i.expiresAt) println(`  pruned     ${formatAgo(i.expiresAt)}`);
  if (i.error) println(field('error', style.red(i.error)));
}

function printAttempts(attempts: Attempt[], indent: string): void {
  const hosts = attempts.some((a) => a.host !== null);
  process.stdout.write(indentBlock(
    formatTable(
      ['#', 'taken', 'by', ...(hosts ? ['host'] : []), 'outcome', 'error'],
      attempts.map((a) => [
        String(a.attempt),
        formatAgo(a.takenAt),
        a.takenBy ?? '-',
        ...(hosts ? [a.host ?? '-'] : []),
        outcomeText(a.outcome),
        truncate(a.error ?? '', 70),
      ]),
    ),
    indent,
  ));
}

function outcomeText(o: Attempt['outcome']): string {
  if (o === 'completed') return style.green(o);
  if (o === 'failed' || o === 'timed_out') return style.red(o.replace('_', ' '));
  return o;
}

export function statusText(i: Item): string {
  switch (i.status) {
    case 'taken':
      return i.visibleAt ? `taken (visible ${formatAgo(i.visibleAt).replace(/ ago$/, ' ago!')})` : 'taken';
    case 'completed':
      return style.green('completed');
    case 'dead':
      return style.red('dead');
    case 'abandoned':
      return style.yellow('abandoned');
    default:
      return i.failures ? style.yellow(`pending (retry ${i.failures})`) : 'pending';
  }
}

function fields(i: Item): string {
  return Object.entries(i.data)
    .filter(([k]) => k !== 'id')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

function truncate(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > n ? one.slice(0, n - 1) + '…' : one;
}

function split(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}
