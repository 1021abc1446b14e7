/**
 * oj lock ... and oj semaphore ...: inspect locks and semaphores, and take
 * them from scripts as an "external" holder (which must heartbeat).
 * Names are resolved in the current project (or --project) the way runbooks
 * resolve them; the qualified id from `--json` output works too.
 */
import { LockMethods, SemaphoreMethods } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import type { RpcConnection } from '../client/rpc-connection.js';
import { durationOption } from '../output/durations.js';
import { ExitCode, UsageError, printJson, println } from '../output/print.js';
import { style } from '../output/style.js';
import { formatTable } from '../output/table.js';
import { formatAgo, formatDuration } from '../output/time.js';
import { defaultHolder, selfHolder } from './default-holder.js';
import { heartbeatUntilParentEnds } from './heartbeat-loop.js';
import { currentProject, locally, withDaemon } from './run-command.js';

type HolderInfo = LockMethods.HolderInfo;
type WaiterInfo = LockMethods.WaiterInfo;
type LockInfo = LockMethods.LockInfo;
type SemaphoreInfo = SemaphoreMethods.SemaphoreInfo;

interface Scoped {
  project?: string | undefined;
}

function projectOf(argv: Scoped): string {
  const p = argv.project ?? currentProject();
  if (!p) throw new UsageError('not in an oj project (no .oj/ in this directory or above); cd into one or pass --project <root>');
  return p;
}

/** --holder, else $OJ_HOLDER, else the pipeline a phase script runs in, else the calling process (see default-holder.ts). */
function explicitHolder(argv: { holder?: string | undefined }): string | undefined {
  return argv.holder ?? (process.env.OJ_HOLDER || undefined) ?? (process.env.OJ_PIPELINE || undefined);
}

/**
 * The holder to act as. With the default holder, a hold (or a place in line)
 * under this process's own name is its own too: `oj` exec'd by the shell that
 * took it (see selfHolder).
 */
function holderAmong(argv: { holder?: string | undefined }, present: () => Promise<(string | undefined)[]>): Promise<string> {
  const explicit = explicitHolder(argv);
  if (explicit !== undefined) return Promise.resolve(explicit);
  const holder = defaultHolder();
  const self = selfHolder();
  if (self === null || self === holder) return Promise.resolve(holder);
  return present().then((names) => (names.includes(self) ? self : holder));
}

/** What `oj lock` and `oj semaphore` do alike, and the words and calls that tell them apart. */
interface Kind<Info> {
  /** One by name (locks.show, semaphores.status). */
  one(conn: RpcConnection, project: string, name: string): Promise<Info>;
  /** Who holds it or waits in line for it. */
  claimants(info: Info): (string | undefined)[];
  release(conn: RpcConnection, call: HeartbeatCall): Promise<{ released: boolean; info: Info }>;
  heartbeat(conn: RpcConnection, call: HeartbeatCall): Promise<unknown>;
  /** What a release prints: done (stdout), or not held by `holder` (stderr). */
  releasedText(info: Info): string;
  notHeldText(holder: string, info: Info): string;
}

const LOCK: Kind<LockInfo> = {
  one: async (conn, project, name) => (await conn.call(LockMethods.Show, { project, name })).lock,
  claimants: (l) => [l.holder?.holder, ...l.waiters.map((w) => w.holder)],
  release: async (conn, call) => {
    const r = await conn.call(LockMethods.Release, call);
    return { released: r.released, info: r.lock };
  },
  heartbeat: (conn, call) => conn.call(LockMethods.Heartbeat, call),
  releasedText: (l) => `released ${l.name}`,
  notHeldText: (holder, l) => `${holder} does not hold ${l.name}${l.holder ? ` (held by ${l.holder.holder})` : ''}`,
};

const SEMAPHORE: Kind<SemaphoreInfo> = {
  one: async (conn, project, name) => (await conn.call(SemaphoreMethods.Status, { project, name })).semaphore,
  claimants: (s) => [...s.holders.map((h) => h.holder), ...s.waiters.map((w) => w.holder)],
  release: async (conn, call) => {
    const r = await conn.call(SemaphoreMethods.Release, call);
    return { released: r.released, info: r.semaphore };
  },
  heartbeat: (conn, call) => conn.call(SemaphoreMethods.Heartbeat, call),
  releasedText: (s) => `released ${s.name} (${s.used}/${s.max} in use)`,
  notHeldText: (holder, s) => `${holder} holds no units of ${s.name}`,
};

function holderOf<Info>(kind: Kind<Info>, conn: RpcConnection, argv: Scoped & { name: string; holder?: string | undefined }): Promise<string> {
  return holderAmong(argv, async () => kind.claimants(await kind.one(conn, projectOf(argv), argv.name)));
}

const projectOption = { type: 'string', describe: 'the project root (default: the project of the current directory)' } as const;
const holderOption = { type: 'string', describe: 'who holds it (default: $OJ_HOLDER, $OJ_PIPELINE, else the calling shell: user@host:PID.START)' } as const;
const nameArg = { type: 'string', demandOption: true } as const;

/** `list`: a table of the project's locks or semaphores (or, with --all, every project's). */
function listCommand<Info>(
  y: Argv,
  describe: string,
  fetch: (conn: RpcConnection, params: { project?: string }) => Promise<Info[]>,
  empty: string,
  table: { header: string[]; row: (info: Info) => string[] },
): Argv {
  return y.command(
    ['list', 'ls'],
    describe,
    (a) => a.option('project', projectOption).option('all', { type: 'boolean', describe: 'every project' }).option('json', { type: 'boolean' }),
    (argv) =>
      withDaemon(async (conn) => {
        const project = argv.all ? undefined : (argv.project ?? currentProject());
        const infos = await fetch(conn, project ? { project } : {});
        if (argv.json) return printJson(infos);
        if (infos.length === 0) return println(empty);
        process.stdout.write(formatTable(table.header, infos.map(table.row)));
      }),
  );
}

/** `show <name>` / `status <name>`: one lock or semaphore. */
function showCommand<Info>(y: Argv, command: string, describe: string, kind: Kind<Info>, print: (info: Info) => void): Argv {
  return y.command(
    command,
    describe,
    (a) => a.positional('name', nameArg).option('project', projectOption).option('json', { type: 'boolean' }),
    (argv) =>
      withDaemon(async (conn) => {
        const info = await kind.one(conn, projectOf(argv), argv.name);
        if (argv.json) return printJson(info);
        print(info);
      }),
  );
}

/** `release <name>`: exit 0 when released, 1 when the holder held none of it. */
function releaseCommand<Info>(y: Argv, describe: string, kind: Kind<Info>): Argv {
  return y.command(
    'release <name>',
    describe,
    (a) => a.positional('name', nameArg).option('holder', holderOption).option('project', projectOption),
    (argv) =>
      withDaemon(async (conn) => {
        const holder = await holderOf(kind, conn, argv);
        const r = await kind.release(conn, { project: projectOf(argv), name: argv.name, holder });
        if (r.released) {
          println(kind.releasedText(r.info));
          return 0;
        }
        process.stderr.write(`${kind.notHeldText(holder, r.info)}\n`);
        return 1;
      }),
  );
}

function heartbeatCommand<Info>(y: Argv, describe: string, kind: Kind<Info>): Argv {
  return y.command(
    'heartbeat <name>',
    describe,
    (a) => a.positional('name', nameArg).option('holder', holderOption).option('project', projectOption).option('every', everyOption),
    (argv) => heartbeat(argv, (conn, args) => holderOf(kind, conn, args), kind.heartbeat),
  );
}

export function lockCommands(y: Argv): Argv {
  y = listCommand(y, 'Locks with their holders and waiters', async (conn, p) => (await conn.call(LockMethods.List, p)).locks, 'no locks', {
    header: ['lock', 'state', 'holder', 'since', 'heartbeat', 'waiting'],
    row: (l) => [
      l.name,
      lockState(l),
      l.holder ? l.holder.holder : '-',
      l.holder ? formatAgo(l.holder.acquiredAt) : '-',
      l.holder ? formatAgo(l.holder.heartbeatAt) : '-',
      String(l.waiters.length),
    ],
  });
  y = showCommand(y, 'show <name>', 'A lock: holder, heartbeat, staleness, waiters in arrival order', LOCK, printLock);
  y = y.command(
    'acquire <name>',
    'Take a lock (exit 1 if someone else has it); --wait waits in line (exit 124 when its --timeout passes)',
    (a) =>
      a
        .positional('name', nameArg)
        .option('holder', holderOption)
        .option('wait', { type: 'boolean', describe: 'wait in line until it is yours (first come, first served)' })
        .option('timeout', { type: 'string', describe: 'with --wait: give up after this long (e.g. 30s)' })
        .option('project', projectOption)
        .option('json', { type: 'boolean' }),
    (argv) =>
      withDaemon(async (conn) => {
        const holder = await holderOf(LOCK, conn, argv);
        const timeoutMs = durationOption('timeout', argv.timeout);
        const r = await conn.call(LockMethods.Acquire, {
          project: projectOf(argv),
          name: argv.name,
          holder,
          ...(argv.wait ? { wait: true } : {}),
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        });
        if (argv.json) printJson(r);
        if (r.acquired) {
          if (!argv.json) println(`acquired ${r.lock.name} as ${holder} (heartbeat more often than every ${formatDuration(r.lock.heartbeatMs)}, or it goes stale)`);
          return 0;
        }
        if (!argv.json) process.stderr.write(`${r.lock.name} not acquired: ${busyText(r.lock.holder ? [r.lock.holder] : [], r.lock.waiters, argv.wait === true)}\n`);
        return notAcquired(argv.wait, timeoutMs);
      }),
  );
  y = releaseCommand(y, 'Release a lock you hold (or leave its line)', LOCK);
  y = heartbeatCommand(y, 'Tell ojd the holder of a lock is alive (do it more often than its heartbeat window)', LOCK);
  return y
    .command(
      'force-release <name>',
      'Release a lock whoever holds it (a pipeline holding it has its phase failed)',
      (a) => a.positional('name', nameArg).option('reason', { type: 'string' }).option('project', projectOption).option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const r = await conn.call(LockMethods.ForceRelease, {
            project: projectOf(argv),
            name: argv.name,
            ...(argv.reason ? { reason: argv.reason } : {}),
          });
          if (argv.json) return printJson(r);
          println(r.previous ? `released ${r.lock.name} (was held by ${r.previous.holder})` : `${r.lock.name} was not held`);
        }),
    )
    .command(
      'is-stale <name>',
      'Exit 0 if the lock is held by a stale holder (silent past its heartbeat window, or past its timeout), else 1',
      (a) => a.positional('name', nameArg).option('project', projectOption).option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const r = await conn.call(LockMethods.IsStale, { project: projectOf(argv), name: argv.name });
          if (argv.json) printJson({ stale: r.stale, reason: r.reason });
          else println(r.stale ? `stale: ${r.reason ?? ''}` : r.lock.held ? 'not stale' : 'not held');
          return r.stale ? 0 : 1;
        }),
    )
    .demandCommand(1, 'say which lock command to run (oj lock --help lists them)');
}

export function semaphoreCommands(y: Argv): Argv {
  y = listCommand(y, 'Semaphores with their usage', async (conn, p) => (await conn.call(SemaphoreMethods.List, p)).semaphores, 'no semaphores', {
    header: ['semaphore', 'used', 'holders', 'waiting'],
    row: (s) => [
      s.name,
      `${s.used}/${s.max}`,
      s.holders.map((h) => h.holder + (h.weight > 1 ? `×${h.weight}` : '') + (h.stale ? ' (stale)' : '')).join(', ') || '-',
      String(s.waiters.length),
    ],
  });
  y = showCommand(y, 'status <name>', 'A semaphore: units used of max, holders, waiters in arrival order', SEMAPHORE, printSemaphore);
  y = y.command(
    'acquire <name>',
    'Take units of a semaphore (exit 1 if they do not fit now); --wait waits in line (exit 124 when its --timeout passes)',
    (a) =>
      a
        .positional('name', nameArg)
        .option('holder', holderOption)
        .option('weight', { type: 'number', describe: 'how many units (default 1)' })
        .option('wait', { type: 'boolean', describe: 'wait in line until they fit (first come, first served)' })
        .option('timeout', { type: 'string', describe: 'with --wait: give up after this long (e.g. 30s)' })
        .option('project', projectOption)
        .option('json', { type: 'boolean' }),
    (argv) =>
      withDaemon(async (conn) => {
        const holder = await holderOf(SEMAPHORE, conn, argv);
        if (argv.weight !== undefined && (!Number.isInteger(argv.weight) || argv.weight < 1)) {
          throw new UsageError(`--weight ${argv.weight}: expected a whole number of at least 1`);
        }
        const timeoutMs = durationOption('timeout', argv.timeout);
        const r = await conn.call(SemaphoreMethods.Acquire, {
          project: projectOf(argv),
          name: argv.name,
          holder,
          ...(argv.weight !== undefined ? { weight: argv.weight } : {}),
          ...(argv.wait ? { wait: true } : {}),
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        });
        if (argv.json) printJson(r);
        const s = r.semaphore;
        if (r.acquired) {
          if (!argv.json) println(`acquired ${argv.weight ?? 1} of ${s.name} as ${holder} (${s.used}/${s.max} in use)`);
          return 0;
        }
        if (!argv.json) process.stderr.write(`${s.name} not acquired: ${s.used}/${s.max} in use; ${busyText(s.holders, s.waiters, argv.wait === true)}\n`);
        return notAcquired(argv.wait, timeoutMs);
      }),
  );
  y = releaseCommand(y, 'Release the units you hold (or leave the line)', SEMAPHORE);
  y = heartbeatCommand(y, 'Tell ojd a holder of units is alive (more often than slot_heartbeat)', SEMAPHORE);
  return y.demandCommand(1, 'say which semaphore command to run (oj semaphore --help lists them)');
}

const everyOption = {
  type: 'string',
  describe: 'keep heartbeating at this period (e.g. 10s) until the calling script ends; run it in the background (&)',
} as const;

type HeartbeatCall = { project: string; name: string; holder: string };

type HeartbeatArgs = Scoped & { name: string; holder?: string | undefined; every?: string | undefined };

/** One heartbeat, or with --every one per period until the calling process ends (see heartbeat-loop.ts). */
function heartbeat(
  argv: HeartbeatArgs,
  holderFor: (conn: RpcConnection, argv: HeartbeatArgs) => Promise<string>,
  beat: (conn: RpcConnection, call: HeartbeatCall) => Promise<unknown>,
): Promise<void> {
  const call = async (conn: RpcConnection): Promise<HeartbeatCall> => ({ project: projectOf(argv), name: argv.name, holder: await holderFor(conn, argv) });
  if (argv.every === undefined) return withDaemon(async (conn) => void (await beat(conn, await call(conn))));
  return locally(async () => {
    const everyMs = durationOption('every', argv.every) ?? 0;
    if (everyMs < 100) throw new UsageError(`--every ${argv.every}: at least 100ms`);
    let c: HeartbeatCall | null = null;
    return heartbeatUntilParentEnds(everyMs, async (conn) => beat(conn, (c ??= await call(conn))));
  });
}

/** Not acquired: busy now (1), or waited in line until --timeout passed (124). */
function notAcquired(wait: boolean | undefined, timeoutMs: number | undefined): number {
  return wait && timeoutMs !== undefined ? ExitCode.TimedOut : ExitCode.Failure;
}

function lockState(l: LockInfo): string {
  if (!l.held) return l.waiters.length ? style.yellow('free (handing over)') : 'free';
  if (l.stale) return style.red('stale');
  return style.yellow('held');
}

function busyText(holders: HolderInfo[], waiters: WaiterInfo[], waited: boolean): string {
  const parts: string[] = [];
  if (holders.length) parts.push(`held by ${holders.map((h) => `${h.holder} (since ${formatAgo(h.acquiredAt)})`).join(', ')}`);
  if (waiters.length) parts.push(`${waiters.length} waiting`);
  if (waited) parts.push('gave up waiting');
  else parts.push('use --wait to wait in line');
  return parts.join('; ');
}

function holderLine(h: HolderInfo): string {
  const who = `${h.holder} (${h.kind}${h.phase ? `, phase ${h.phase}` : ''}${h.weight > 1 ? `, weight ${h.weight}` : ''}${h.host ? `, on ${h.host}` : ''})`;
  const stale = h.stale ? `  ${style.red(`stale: ${h.staleReason ?? ''}`)}` : '';
  return `${who}  since ${formatAgo(h.acquiredAt)}, heartbeat ${formatAgo(h.heartbeatAt)}${stale}`;
}

function printWaiters(waiters: WaiterInfo[]): void {
  if (!waiters.length) return;
  println('  waiting:');
  for (const w of waiters) {
    println(`    ${w.position}. ${w.holder} (${w.kind}${w.phase ? `, phase ${w.phase}` : ''}${w.weight > 1 ? `, weight ${w.weight}` : ''})  since ${formatAgo(w.since)}`);
  }
}

function printLock(l: LockInfo): void {
  println(`${style.bold(l.name)}  ${l.id}  ${lockState(l)}${l.defined ? '' : style.dim('  (no longer defined)')}`);
  if (l.holder) println(`  holder     ${holderLine(l.holder)}`);
  println(`  heartbeat  every ${formatDuration(l.heartbeatMs)} or stale`);
  if (l.timeoutMs !== null) println(`  timeout    ${formatDuration(l.timeoutMs)}`);
  println(`  on_stale   ${l.onStale.join(', ') || '-'}`);
  printWaiters(l.waiters);
}

function printSemaphore(s: SemaphoreInfo): void {
  println(`${style.bold(s.name)}  ${s.id}  ${s.used}/${s.max} in use${s.defined ? '' : style.dim('  (no longer defined)')}`);
  println(`  heartbeat  every ${formatDuration(s.slotHeartbeatMs)} or orphaned`);
  if (s.slotTimeoutMs !== null) println(`  timeout    ${formatDuration(s.slotTimeoutMs)}`);
  println(`  on_orphan  ${s.onOrphan.join(', ') || '-'}${s.onOrphanWork.length ? `; work: ${s.onOrphanWork.join(', ')}` : ''}`);
  if (s.holders.length) {
    println('  holders:');
    for (const h of s.holders) println(`    ${holderLine(h)}`);
  }
  printWaiters(s.waiters);
}
