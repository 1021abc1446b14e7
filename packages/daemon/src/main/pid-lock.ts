/**
 * One daemon per state directory (and so per database): a pid file created
 * exclusively. A pid file left by a killed daemon is detected (its process is
 * gone, or is not an ojd) and replaced.
 */
import { processAlive } from '@oj/protocol';
import { closeSync, constants, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

export class AlreadyRunningError extends Error {
  override readonly name = 'AlreadyRunningError';
  constructor(readonly pid: number, pidFile: string) {
    super(`another ojd is already running (pid ${pid}, pid file ${pidFile})`);
  }
}

export class PidLock {
  private held = false;

  constructor(readonly path: string) {}

  acquire(): void {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        // A new file, never through a link someone left in its place.
        const fd = openSync(this.path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        this.held = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = readPid(this.path);
      if (pid !== null && pid !== process.pid && isLiveOjd(pid)) throw new AlreadyRunningError(pid, this.path);
      try {
        unlinkSync(this.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    throw new Error(`could not take the pid lock ${this.path}`);
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    if (readPid(this.path) === process.pid) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
  }
}

export function readPid(path: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

function isLiveOjd(pid: number): boolean {
  if (!processAlive(pid)) return false;
  // A recycled pid belongs to some other program: check its command line where we can.
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /ojd/.test(cmdline);
  } catch {
    return true;
  }
}
