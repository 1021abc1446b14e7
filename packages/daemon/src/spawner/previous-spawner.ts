/**
 * The spawner of a daemon that died. A child whose start had not reached
 * ojd's records when ojd was killed is known only to that spawner, which
 * kills its group as soon as it sees ojd gone (spawner-process.ts). A new
 * daemon that reconciled before that would start the phase again beside a
 * still-running first copy. So the running spawner's pid and start time are
 * kept in the state dir (`spawner.pid`), and a starting daemon waits, for a
 * bounded time, until the process they name has exited.
 */
import { closeSync, constants, readFileSync, writeSync, openSync } from 'node:fs';
import { processStartTime, startTimesKnown } from './process-start.js';

/** Records the spawner now running (replacing any earlier record; never written through a link). */
export function recordSpawner(file: string, pid: number): void {
  const start = processStartTime(pid);
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, `${pid} ${start ?? '-'}\n`);
  } finally {
    closeSync(fd);
  }
}

/** The recorded spawner, if the record is readable. */
export function readSpawnerRecord(file: string): { pid: number; start: number | null } | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const m = /^(\d+) (\d+|-)\n?$/.exec(text);
  if (!m) return null;
  const pid = Number(m[1]);
  if (!Number.isSafeInteger(pid) || pid <= 1) return null;
  return { pid, start: m[2] === '-' ? null : Number(m[2]) };
}

/**
 * Whether the recorded process still runs. With start times (Linux) only the
 * very process recorded counts; without them (macOS) a live pid does, and a
 * stranger holding the id costs at most the bounded wait.
 */
export function recordedSpawnerRuns(rec: { pid: number; start: number | null }): boolean {
  if (startTimesKnown()) return rec.start !== null && processStartTime(rec.pid) === rec.start;
  try {
    process.kill(rec.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Waits until the spawner recorded in `file` has exited, or `timeoutMs` has
 * passed. Returns what happened, for the log.
 */
export async function awaitPreviousSpawner(
  file: string,
  timeoutMs: number,
): Promise<{ pid: number; outcome: 'exited' | 'still running' } | null> {
  const rec = readSpawnerRecord(file);
  if (!rec || rec.pid === process.pid || !recordedSpawnerRuns(rec)) return null;
  const deadline = Date.now() + timeoutMs;
  while (recordedSpawnerRuns(rec)) {
    if (Date.now() >= deadline) return { pid: rec.pid, outcome: 'still running' };
    await new Promise((r) => setTimeout(r, 20));
  }
  return { pid: rec.pid, outcome: 'exited' };
}
