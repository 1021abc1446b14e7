/**
 * oj ui: the web dashboard. Starts its server beside ojd (detached, like
 * ojd itself) unless one runs, prints the address to open (with the
 * per-start token) and opens it in a browser. `--stop` stops it;
 * `--foreground` serves from this terminal. docs/ui.md.
 */
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UiMethods, processAlive, statePaths } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import { daemonLocation, delay, fileSize, openOutput, readFrom } from '../client/daemon-launcher.js';
import type { RpcConnection } from '../client/rpc-connection.js';
import { takeOverInterrupt } from '../output/interrupt.js';
import { UsageError, println } from '../output/print.js';
import { serveDashboard } from '../ui/serve.js';
import { withDaemon } from './run-command.js';

/** How long ojd may be away (a restart) before a dashboard stops. */
const ORPHAN_MS = 60_000;
const START_TIMEOUT_MS = 15_000;

interface UiArgs {
  port?: number | undefined;
  open?: boolean | undefined;
  printUrl?: boolean | undefined;
  stop?: boolean | undefined;
  foreground?: boolean | undefined;
}

export function uiCommand(y: Argv): Argv {
  return y.command(
    'ui',
    'Open the web dashboard (starts its server beside ojd)',
    (a) =>
      a
        .option('port', { type: 'number', describe: 'listen on this port of 127.0.0.1 (default: any free one)' })
        .option('open', { type: 'boolean', default: true, describe: 'open it in a browser (--no-open: only print the address)' })
        .option('print-url', { type: 'boolean', describe: 'print only the address (with its token), for scripts' })
        .option('stop', { type: 'boolean', describe: 'stop the dashboard' })
        .option('foreground', { type: 'boolean', describe: 'serve from this terminal (Ctrl-C stops it)' })
        .check((argv) => {
          const port = argv.port;
          if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65_535)) return `--port takes a port number (1-65535), not ${String(port)}`;
          if (argv.stop && (argv.foreground || port !== undefined)) return '--stop takes no --port or --foreground';
          return true;
        }),
    (argv) => runUi(argv),
  );
}

function runUi(argv: UiArgs): Promise<void> {
  return withDaemon(async (conn) => {
    if (argv.stop) return stopUi(conn);
    const { ui, link } = await conn.call(UiMethods.Status);
    if (ui && link) {
      if (argv.port !== undefined && argv.port !== ui.port) {
        throw new UsageError(`the dashboard already runs on port ${ui.port} (pid ${ui.pid}); stop it first: oj ui --stop`);
      }
      if (argv.foreground) throw new UsageError(`the dashboard already runs (pid ${ui.pid}): ${ui.url}`);
      return show(link, argv, `already running (pid ${ui.pid})`);
    }
    if (argv.foreground) return foreground(argv);
    const started = await startDetached(conn, argv.port ?? 0);
    return show(started.link, argv, `${started.ours ? 'started' : 'already running'} (pid ${started.pid})`);
  });
}

async function show(link: string, argv: UiArgs, how: string): Promise<number> {
  if (argv.printUrl) println(link);
  else {
    println(`dashboard: ${link}`);
    println(`  ${how}; oj ui --stop stops it`);
  }
  if (argv.open !== false) await openBrowser(link);
  return 0;
}

async function stopUi(conn: RpcConnection): Promise<number> {
  const { ui } = await conn.call(UiMethods.Stop);
  if (!ui) {
    println('the dashboard is not running');
    return 0;
  }
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && processAlive(ui.pid)) await delay(25);
  println(processAlive(ui.pid) ? `asked the dashboard to stop (pid ${ui.pid}); it is still running` : `dashboard stopped (pid ${ui.pid})`);
  return processAlive(ui.pid) ? 1 : 0;
}

function foreground(argv: UiArgs): Promise<number> {
  takeOverInterrupt();
  return serveDashboard({
    port: argv.port ?? 0,
    location: daemonLocation(),
    orphanMs: ORPHAN_MS,
    ready: (link) => println(argv.printUrl ? link : `dashboard: ${link}${process.stdout.isTTY ? '\n  serving until Ctrl-C' : ''}`),
  });
}

/** The oj executable (packages/cli/bin/oj.js), for the detached server. */
function ojBin(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'oj.js');
}

/**
 * Starts the server detached (its output to ui.out) and waits until it has
 * registered with ojd. A dashboard that was reconnecting after a daemon
 * restart may register first: the new one then stops, and that one is used.
 */
async function startDetached(conn: RpcConnection, port: number): Promise<{ pid: number; link: string; ours: boolean }> {
  const loc = daemonLocation();
  const outFile = statePaths(loc.stateDir).uiOut;
  const outSize = fileSize(outFile);
  const out = openOutput(outFile, 'the dashboard');
  const child = spawn(process.execPath, [ojBin(), 'ui', '--foreground', '--no-open', ...(port ? ['--port', String(port)] : [])], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, OJ_STATE_DIR: loc.stateDir, OJ_SOCKET: loc.socket },
  });
  closeSync(out);
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? 1));
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const gone = exited !== null;
    const { ui, link } = await conn.call(UiMethods.Status);
    if (ui && link && (ui.pid === child.pid || gone)) return { pid: ui.pid, link, ours: ui.pid === child.pid };
    if (gone) break;
    await delay(25);
  }
  // What it said: its error line (oj's `error: ...`), else its last line.
  const lines = (readFrom(outFile, outSize) ?? '').trim().split('\n').filter(Boolean);
  const said = (lines.find((l) => /^(error|oj): /.test(l)) ?? lines.pop())?.replace(/^(error|oj): /, '');
  throw new Error(`the dashboard did not start${exited !== null ? ` (exit ${exited})` : ''}${said ? `: ${said}` : ''} (see ${outFile})`);
}

/** Opens the address in the user's browser ($BROWSER, else the system's opener); says so when it cannot. */
async function openBrowser(link: string): Promise<void> {
  const opener = process.env.BROWSER || (process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open');
  await new Promise<void>((resolve) => {
    const child = spawn(opener, [link], { detached: true, stdio: 'ignore' });
    child.once('error', (err) => {
      process.stderr.write(`oj: could not open a browser (${opener}: ${err.message}); open the address above yourself\n`);
      resolve();
    });
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
