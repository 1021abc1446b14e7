/** oj daemon start|stop|restart|status|logs (check|backup|restore|prune: daemon-maintenance.ts) */
import { spawn } from 'node:child_process';
import { DaemonMethods, processAlive, type DaemonStatus } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import { daemonLocation, delay, ojdBinPath, startDetached, tryConnect } from '../client/daemon-launcher.js';
import { printJson, println } from '../output/print.js';
import { takeOverInterrupt } from '../output/interrupt.js';
import { style } from '../output/style.js';
import { formatDuration } from '../output/time.js';
import { followLog, printLog } from './daemon-logs.js';
import { locally } from './run-command.js';
import { backupCommand, checkCommand, pruneCommand, restoreCommand } from './daemon-maintenance.js';
import { managedServiceHint } from '../service/index.js';

export function daemonCommands(y: Argv): Argv {
  return y
    .command(
      'start',
      'Start ojd (detached unless --foreground)',
      (a) => a.option('foreground', { type: 'boolean', alias: 'f', describe: 'run in this terminal (as systemd/launchd do)' }),
      (argv) => locally(() => start(Boolean(argv.foreground))),
    )
    .command(
      'stop',
      'Stop ojd gracefully (agent sessions keep running unless --kill)',
      (a) => a.option('kill', { type: 'boolean', describe: 'also end agent sessions' }),
      (argv) => locally(() => stop(Boolean(argv.kill))),
    )
    .command(
      'restart',
      'Stop ojd if it runs, then start it',
      (a) => a,
      () =>
        locally(async () => {
          if (refuseManaged('restart')) return 1;
          await stop(false, true);
          return start(false);
        }),
    )
    .command(
      'status',
      'Is ojd running? Version, pid, uptime, paths',
      (a) => a.option('json', { type: 'boolean', describe: 'machine-readable output' }),
      (argv) => locally(() => status(Boolean(argv.json))),
    )
    .command(
      'logs',
      "Show the daemon's log",
      (a) =>
        a
          .option('follow', { alias: 'f', type: 'boolean', describe: 'keep printing new lines' })
          .option('lines', { alias: 'n', type: 'number', default: 50, describe: 'how many recent lines' })
          .option('json', { type: 'boolean', describe: 'print the raw JSON lines' }),
      (argv) =>
        locally(async () => {
          const loc = daemonLocation();
          const end = printLog(loc.stateDir, argv.lines, Boolean(argv.json));
          if (argv.follow) await followLog(loc.stateDir, end, Boolean(argv.json));
        }),
    )
    .command(checkCommand)
    .command(backupCommand)
    .command(restoreCommand)
    .command(pruneCommand)
    .demandCommand(1, 'say which daemon command: start, stop, restart, status, logs, check, backup, restore, prune, install or uninstall');
}

/** When a user service owns the daemon, say which command to use instead of fighting it. */
function refuseManaged(action: 'start' | 'stop' | 'restart'): boolean {
  const hint = managedServiceHint(action);
  if (!hint) return false;
  println(`ojd is managed by a user service; run: ${hint}`);
  return true;
}

async function start(foreground: boolean): Promise<number> {
  const loc = daemonLocation();
  if (!foreground && refuseManaged('start')) return 1;
  const existing = await tryConnect(loc);
  if (existing) {
    const s = await existing.call(DaemonMethods.Status);
    existing.close();
    println(`ojd is already running (pid ${s.pid}, socket ${s.socket})`);
    return 0;
  }
  if (foreground) {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [ojdBinPath(), '--foreground'], { stdio: 'inherit' });
      // Ctrl-C stops the daemon; this command ends when it has, with its status.
      takeOverInterrupt();
      const forward = (sig: NodeJS.Signals) => child.kill(sig);
      process.on('SIGINT', forward);
      process.on('SIGTERM', forward);
      process.on('SIGHUP', forward);
      child.on('exit', (code) => resolve(code ?? 1));
    });
  }
  const pid = await startDetached(loc);
  println(`ojd started (pid ${pid}, socket ${loc.socket})`);
  return 0;
}

async function stop(kill: boolean, quietIfStopped = false): Promise<number> {
  const loc = daemonLocation();
  if (!quietIfStopped && refuseManaged('stop')) return 1;
  const conn = await tryConnect(loc);
  if (!conn) {
    if (!quietIfStopped) println(`ojd is not running (socket ${loc.socket})`);
    return 0;
  }
  const { pid } = await conn.call(DaemonMethods.Stop, { killSessions: kill });
  await new Promise<void>((resolve) => conn.onClose(() => resolve()));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && processAlive(pid)) await delay(20);
  if (processAlive(pid)) {
    println(`ojd (pid ${pid}) did not stop within 15s`);
    return 1;
  }
  println(`ojd stopped (pid ${pid})`);
  return 0;
}

async function status(json: boolean): Promise<number> {
  const loc = daemonLocation();
  const conn = await tryConnect(loc);
  if (!conn) {
    if (json) printJson({ running: false, socket: loc.socket, stateDir: loc.stateDir });
    else println(`ojd is not running (socket ${loc.socket})`);
    return 1;
  }
  const s = await conn.call(DaemonMethods.Status);
  conn.close();
  if (json) printJson({ running: true, ...s });
  else printDaemonStatus(s);
  return 0;
}

/** Which spawner starts shell children (OJ_SPAWNER picks one). */
function spawnerLine(sp: DaemonStatus['spawner']): string {
  const pid = sp.pid === null ? 'not running' : `pid ${sp.pid}`;
  if (sp.kind === 'native') return `native (posix_spawn helper, ${pid})`;
  if (sp.kind === 'node') return `node (a Node spawner process, ${pid})`;
  return 'inline (ojd starts children itself)';
}

export function printDaemonStatus(s: DaemonStatus): void {
  println(`ojd ${s.version} running, pid ${s.pid}, up ${formatDuration(s.uptimeMs)}`);
  println(`  spawner    ${spawnerLine(s.spawner)}`);
  if (s.spawner.fallback) println(`             ${style.yellow('fallback')}: ${s.spawner.fallback}`);
  println(`  socket     ${s.socket}`);
  println(`  state dir  ${s.stateDir}`);
  println(`  log        ${s.log}`);
  println(`  dashboard  ${s.ui ? `${s.ui.url} (pid ${s.ui.pid}; oj ui opens it, oj ui --stop stops it)` : 'off (oj ui starts it)'}`);
  if (s.diskFull) println(`  ${style.red('disk full')}  since ${s.diskFull.since}: ${s.diskFull.refused} write(s) refused; free space (df -h ${s.stateDir})`);
  const c = s.cluster;
  if (c) {
    println(`  cluster    host ${c.hostId} on ${c.database}${c.reachable ? '' : ` ${style.red('(unreachable: shared work is refused until it is back)')}`}`);
    if (!c.leaders.length) println(`  leaders    ${c.reachable ? 'none yet' : 'unknown while the database cannot be reached'}`);
    c.leaders.forEach((l, i) => {
      const who = l.held ? `${l.host} (term ${l.term}, since ${l.since})` : style.red(`none: ${l.host}'s lease lapsed at ${l.expiresAt}; the next host to heartbeat takes it`);
      println(`  ${i === 0 ? 'leaders   ' : '          '} ${l.project}: ${who}`);
    });
    for (const h of c.hosts) {
      const beat = `last heartbeat ${formatDuration(Math.max(0, Date.now() - Date.parse(h.heartbeatAt)))} ago`;
      const led = c.leaders.filter((l) => l.held && l.host === h.host).map((l) => l.project);
      const tags = [h.host === c.hostId ? 'this daemon' : null, led.length ? `leads ${led.join(', ')}` : null].filter(Boolean);
      const work = `holds ${h.items} item(s), ${h.holds} lock/semaphore hold(s)`;
      println(`    ${h.host}${tags.length ? ` (${tags.join(', ')})` : ''}  ${h.gone ? style.red(`gone (${beat})`) : beat}; ${work}`);
    }
  }
}
