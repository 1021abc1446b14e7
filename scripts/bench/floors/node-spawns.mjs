/**
 * The least a Node program pays to run N children one after another: a bare
 * Node process starting `bash -c true` N times with node:child_process, each
 * in its own process group with its output piped back (as a shell phase's
 * is), waiting for each to end. What is left above this in a pipeline's time
 * is oj's own orchestration; what is between this and bash's own loop is the
 * cost of Node's child_process (libuv forks, it has no vfork/posix_spawn on
 * Linux).
 *   node node-spawns.mjs <n>
 */
import { spawn } from 'node:child_process';

const n = Number(process.argv[2] ?? 200);
for (let i = 0; i < n; i++) {
  await new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', 'true'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', resolve);
  });
}
