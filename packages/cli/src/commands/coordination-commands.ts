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

function lockHolder(conn: RpcConnection, argv: Scoped & { name: string; holder?: string | undefined }): Promise<string> {
  return holderAmong(argv, async () => {
    const { lock } = await conn.call(LockMethods.Show, { project: projectOf(argv), name: argv.name });
    return [lock.holder?.holder, ...lock.waiters.map((w) => w.holder)];
  });
}

function semaphoreHolder(conn: RpcConnection, argv: Scoped & { name: string; holder?: string | undefined }): Promise<string> {
  return holderAmong(argv, async () => {
    const { semaphore } = await conn.call(SemaphoreMethods.Status, { project: projectOf(argv), name: argv.name });
    return [...semaphore.holders.map((h) => h.holder), ...semaphore.waiters.map((w) => w.holder)];
  });
}

const projectOption = { type: 'string', describe: 'the project root (default: the project of the current directory)' } as const;
const holderOption = { type: 'string', describe: 'who holds it (default: $OJ_HOLDER, $OJ_PIPELINE, else the calling shell: user@host:PID.START)' } as const;

export function lockCommands(y: Argv): Argv {
  return y
    .command(
      ['list', 'ls'],
      'Locks with their holders and waiters',
      (a) => a.option('project', projectOption).option('all', { type: 'boolean', describe: 'every project' }).option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const project = argv.all ? undefined : (argv.project ?? currentProject());
          const { locks } = await conn.call(LockMethods.List, project ? { project } : {});
          if (argv.json) return printJson(locks);
          if (locks.length === 0) return println('no locks');
          process.stdout.write(
            formatTable(
              ['lock', 'state', 'holder', 'since', 'heartbeat', 'waiting'],
              locks.map((l) => [
                l.name,
                lockState(l),
                l.holder ? l.holder.holder : '-',
                l.holder ? formatAgo(l.holder.acquiredAt) : '-',
                l.holder ? formatAgo(l.holder.heartbeatAt) : '-',
                String(l.waiters.length),
              ]),
            ),
          );
        }),
    )
    .command(
      'show <name>',
      'A lock: holder, heartbeat, staleness, waiters in arrival order',
      (a) => a.positional('name', { type: 'string', demandOption: true }).option('project', projectOption).option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const { lock } = await conn.call(LockMethods.Show, { project: projectOf(argv), name: argv.name });
          if (argv.json) return printJson(lock);
          printLock(lock);
        }),
    )
    .command(
      'acquire <name>',
      'Take a lock (exit 1 if someone else has it); --wait waits in line (exit 124 when its --timeout passes)',
      (a) =>
        a
          .positional('name', { type: 'string', demandOption: true })
          .option('holder', holderOption)
          .option('wait', { type: 'boolean', describe: 'wait in line until it is yours (first come, first served)' })
          .option('timeout', { type: 'string', describe: 'with --wait: give up after this long (e.g. 30s)' })
          .option('project', projectOption)
          .option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const holder = await lockHolder(conn, argv);
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
    )
    .command(
      'release <name>',
      'Release a lock you hold (or leave its line)',
      (a) => a.positional('name', { type: 'string', demandOption: true }).option('holder', holderOption).option('project', projectOption),
      (argv) =>
        withDaemon(async (conn) => {
          const holder = await lockHolder(conn, argv);
          const r = await conn.call(LockMethods.Release, { project: projectOf(argv), name: argv.name, holder });
          if (r.released) {
            println(`released ${r.lock.name}`);
            return 0;
          }
          process.stderr.write(`${holder} does not hold ${r.lock.name}${r.lock.holder ? ` (held by ${r.lock.holder.holder})` : ''}\n`);
          return 1;
        }),
    )
    .command(
      'heartbeat <name>',
      'Tell ojd the holder of a lock is alive (do it more often than its heartbeat window)',
      (a) => a.positional('name', { type: 'string', demandOption: true }).option('holder', holderOption).option('project', projectOption).option('every', everyOption),
      (argv) => heartbeat(argv, lockHolder, (conn, call) => conn.call(LockMethods.Heartbeat, call)),
    )
    .command(
      'force-release <name>',
      'Release a lock whoever holds it (a pipeline holding it has its phase failed)',
      (a) =>
        a
          .positional('name', { type: 'string', demandOption: true })
          .option('reason', { type: 'string' })
          .option('project', projectOption)
          .option('json', { type: 'boolean' }),
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
      (a) => a.positional('name', { type: 'string', demandOption: true }).option('project', projectOption).option('json', { type: 'boolean' }),
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
  return y
    .command(
      ['list', 'ls'],
      'Semaphores with their usage',
      (a) => a.option('project', projectOption).option('all', { type: 'boolean', describe: 'every project' }).option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const project = argv.all ? undefined : (argv.project ?? currentProject());
          const { semaphores } = await conn.call(SemaphoreMethods.List, project ? { project } : {});
          if (argv.json) return printJson(semaphores);
          if (semaphores.length === 0) return println('no semaphores');
          process.stdout.write(
            formatTable(
              ['semaphore', 'used', 'holders', 'waiting'],
              semaphores.map((s) => [
                s.name,
                `${s.used}/${s.max}`,
                s.holders.map((h) => h.holder + (h.weight > 1 ? `×${h.weight}` : '') + (h.stale ? ' (stale)' : '')).join(', ') || '-',
                String(s.waiters.length),
              ]),
            ),
          );
        }),
    )
    .command(
      'status <name>',
      'A semaphore: units used of max, holders, waiters in arrival order',
      (a) => a.positional('name', { type: 'string', demandOption: true }).option('project', projectOption).option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const { semaphore } = await conn.call(SemaphoreMethods.Status, { project: projectOf(argv), name: argv.name });
          if (argv.json) return printJson(semaphore);
          printSemaphore(semaphore);
        }),
    )
    .command(
      'acquire <name>',
      'Take units of a semaphore (exit 1 if they do not fit now); --wait waits in line (exit 124 when its --timeout passes)',
      (a) =>
        a
          .positional('name', { type: 'string', demandOption: true })
          .option('holder', holderOption)
          .option('weight', { type: 'number', describe: 'how many units (default 1)' })
          .option('wait', { type: 'boolean', describe: 'wait in line until they fit (first come, first served)' })
          .option('timeout', { type: 'string', describe: 'with --wait: give up after this long (e.g. 30s)' })
          .option('project', projectOption)
          .option('json', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const holder = await semaphoreHolder(conn, argv);
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
    )
    .command(
      'release <name>',
      'Release the units you hold (or leave the line)',
      (a) => a.positional('name', { type: 'string', demandOption: true }).option('holder', holderOption).option('project', projectOption),
      (argv) =>
        withDaemon(async (conn) => {
          const holder = await semaphoreHolder(conn, argv);
          const r = await conn.call(SemaphoreMethods.Release, { project: projectOf(argv), name: argv.name, holder });
          if (r.released) {
            println(`released ${r.semaphore.name} (${r.semaphore.used}/${r.semaphore.max} in use)`);
            return 0;
          }
          process.stderr.write(`${holder} holds no units of ${r.semaphore.name}\n`);
          return 1;
        }),
    )
    .command(
      'heartbeat <name>',
      'Tell ojd a holder of units is alive (more often than slot_heartbeat)',
      (a) => a.positional('name', { type: 'string', demandOption: true }).option('holder', holderOption).option('project', projectOption).option('every', everyOption),
      (argv) => heartbeat(argv, semaphoreHolder, (conn, call) => conn.call(SemaphoreMethods.Heartbeat, call)),
    )
    .demandCommand(1, 'say which semaphore command to run (oj semaphore --help lists them)');
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
  const who = `${h.holder} (${h.kind}${h.phase ? `, phase ${h.phase}` : ''}${h.weight > 1 ? `, weight ${h.weight}` : ''})`;
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
