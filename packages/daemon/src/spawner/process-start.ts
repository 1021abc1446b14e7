/**
 * Which process a pid names, beyond the number: its start time. Pids are
 * reused, so a pid (or process group id) recorded by an earlier daemon may
 * name a stranger by the time it is signalled; the start time recorded with
 * it tells the two apart.
 *
 * On Linux the start time is field 22 (`starttime`, clock ticks after boot)
 * of /proc/PID/stat. Elsewhere (macOS has no /proc) it is unknown: callers
 * then fall back to trusting the pid, as oj did before it recorded start
 * times. Node builtins only: the spawner process loads this file.
 */
import { existsSync, readFileSync } from 'node:fs';

/**
 * `starttime` from the text of /proc/PID/stat, null when unreadable. The
 * second field (comm) is in parentheses and may itself hold spaces and
 * parentheses, so the fields are counted from the last ")".
 */
export function parseStatStartTime(stat: string): number | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  // After ") ": field 3 (state) onwards; starttime is field 22, so index 19 here.
  const fields = stat.slice(close + 1).trim().split(/\s+/);
  const raw = fields[19];
  if (raw === undefined || !/^\d+$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}

/** Whether this system tells start times (Linux with /proc mounted). */
export function startTimesKnown(): boolean {
  return process.platform === 'linux' && existsSync('/proc/self/stat');
}

/** The start time of a running (or zombie) process; null when it is gone or unknown here. */
export function processStartTime(pid: number): number | null {
  if (!Number.isInteger(pid) || pid <= 0 || !startTimesKnown()) return null;
  try {
    return parseStatStartTime(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Whether a process group recorded as (pgid, start) is still the one that
 * was recorded: its leader runs and started at that time. A leader that is
 * gone, or a pid now held by a process started at another time, is not ours
 * (its group is left alone). A record without a start time cannot be checked
 * and is not trusted either. Without /proc (macOS) nothing can be checked:
 * the group is trusted, which was oj's behaviour before start times.
 */
export function recordedGroupIsOurs(pgid: number, start: number | null): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  if (!startTimesKnown()) return true;
  if (start === null) return false;
  return processStartTime(pgid) === start;
}
