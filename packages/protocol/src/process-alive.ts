/**
 * Whether a process still runs. `kill(pid, 0)` alone also succeeds for a
 * zombie, which a slow reaper (PID 1 of a container, for instance) can leave
 * around for a while after a detached process died; on Linux the state in
 * /proc tells the two apart.
 */
import { readFileSync } from 'node:fs';

export function processAlive(pid: number): boolean {
  // 0 and negative pids name process groups: never "a process".
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform !== 'linux') return true;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false; // gone between the two checks
  }
  // "<pid> (<comm>) <state> ...": comm may hold spaces or parentheses, the state follows the last ")".
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}
