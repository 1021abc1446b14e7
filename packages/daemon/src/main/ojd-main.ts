/**
 * `ojd`: the daemon's entry point. Runs in the foreground (what systemd and
 * launchd expect); `oj` starts it detached when it is not running.
 *   SIGTERM/SIGINT: graceful stop.  SIGHUP: reload runbooks.
 */
import { OJ_VERSION, UnsafeDirectoryError, resolveSocketPath, resolveStateDir, statePaths } from '@oj/protocol';
import { relative } from 'node:path';
import { writeFatal } from '../log/logger.js';
import { isDiskFull } from '../storage/disk-full.js';
import { Daemon } from './daemon.js';
import { compilerMode, type CompilerMode } from './v8-compilers.js';

const USAGE = `usage: ojd [--foreground] [--version] [--help]

Runs the oj daemon in the foreground. Paths come from the environment:
  OJ_STATE_DIR  state directory (default: $XDG_STATE_HOME/oj or ~/.local/state/oj)
  OJ_SOCKET     socket path (default: $OJ_STATE_DIR/ojd.sock if OJ_STATE_DIR is set,
                else $XDG_RUNTIME_DIR/oj/ojd.sock, else <state dir>/ojd.sock)

Retention (events, transcripts, phase logs) is set in <state dir>/config.toml
[retention], or OJ_RETENTION_EVENTS, OJ_RETENTION_EVENTS_MAX, OJ_RETENTION_TRANSCRIPTS,
OJ_RETENTION_LOGS, OJ_RETENTION_EVERY (docs/reliability.md).

  OJ_COMPILERS  on-demand (default): V8's optimizing compilers stay off until the
                daemon is busy (an idle daemon keeps ~5 MB less); eager: on from the start
                (docs/performance.md)
`;

export async function main(argv: string[]): Promise<number> {
  let quiet = false;
  for (const arg of argv) {
    if (arg === '--version' || arg === '-V') {
      process.stdout.write(`${OJ_VERSION}\n`);
      return 0;
    }
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (arg === '--foreground' || arg === '-f') continue;
    if (arg === '--quiet') {
      quiet = true;
      continue;
    }
    process.stderr.write(`ojd: unknown argument ${arg}\n${USAGE}`);
    return 2;
  }
  let compilers: CompilerMode;
  try {
    compilers = compilerMode();
  } catch (err) {
    process.stderr.write(`ojd: ${(err as Error).message}\n`);
    return 2;
  }
  // Everything the daemon creates (database, logs, transcripts) is private.
  process.umask(0o077);
  const stateDir = resolveStateDir();
  const socketPath = resolveSocketPath();
  // Signals are handled from the first moment: one that arrives while the daemon
  // is still starting stops it as soon as the start has finished.
  let daemon: Daemon | null = null;
  let pendingStop: string | null = null;
  const stop = (signal: string) => {
    if (daemon?.started) void daemon.stop(`signal ${signal}`);
    else pendingStop = signal;
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => daemon?.started && daemon.reload());
  process.on('uncaughtException', (err) => {
    // A write refused for want of space that nothing above handled: SQLite rolled it back
    // (nothing is half-written). Exiting would leave no daemon, and none could start while
    // the disk is full; so it is logged and the daemon goes on serving (reads, status, and
    // writes again once there is room). A restart re-runs what that write would have recorded.
    if (daemon?.started && isDiskFull(err)) {
      daemon.logger.error('a write from background work was refused: the disk is full', { error: err.stack ?? String(err) });
      return;
    }
    // Fail fast: state on disk is consistent (every change is one transaction); a restart reconciles.
    writeFatal(statePaths(stateDir).log, `uncaught exception: ${err.stack ?? String(err)}`);
    process.exit(70);
  });
  process.on('unhandledRejection', (err) => {
    daemon?.logger.error('unhandled rejection', { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  });
  try {
    daemon = new Daemon({ socketPath, stateDir, logToStderr: !quiet, compilers });
    await daemon.start();
  } catch (err) {
    // A state dir refused as unsafe is not written to, not even this line: stderr only (`oj` shows it).
    const unsafeState = err instanceof UnsafeDirectoryError && !relative(stateDir, err.path).startsWith('..');
    const reason = isDiskFull(err)
      ? `disk full (ENOSPC): no space left on the file system of ${stateDir} (${(err as Error).message}); free some space (df -h ${stateDir}) and start again`
      : (err as Error).message;
    writeFatal(unsafeState ? null : statePaths(stateDir).log, `failed to start: ${reason}`, {
      socket: socketPath,
      stateDir,
      error: (err as Error).name,
    });
    return 1;
  }
  const running = daemon;
  return new Promise<number>((resolve) => {
    running.onStopped(() => resolve(0));
    if (pendingStop) void running.stop(`signal ${pendingStop}`);
  });
}
