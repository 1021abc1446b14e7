/**
 * The spawner process: a small Node process, started by ojd, that starts
 * every shell child on its behalf. Node's child_process forks the caller
 * (libuv uses fork, not vfork), and forking a ~100 MB daemon costs it ~10 ms
 * of CPU per child on a VM (page tables copied, every page write-protected and
 * then faulted back); forking this process costs a fraction of that, and it
 * happens beside the daemon's event loop instead of blocking it.
 *
 * Requests come one per line on stdin, events go one per line on stdout
 * (spawner-messages.ts). When stdin ends (ojd stopped or died) it exits at
 * once. Children ojd knew of are left alone: each is in its own process
 * group, which ojd recorded where it matters and ends or reconciles after a
 * crash. A child whose start ojd had not yet acknowledged is unknown to
 * everyone else, so its group is killed here first.
 * Terminal signals (Ctrl-C on a foreground ojd) are ignored: ojd decides.
 *
 * Backpressure: when ojd does not read our stdout as fast as children print
 * (write() returns false), every child's pipes stop being read until stdout
 * drains, so a child printing gigabytes blocks in write() instead of this
 * process buffering them; ojd can also hold one run's output (`hold`).
 */
import { createInterface } from 'node:readline';
import { launch, type OutputControl } from './launch.js';
import { recordedGroupIsOurs } from './process-start.js';
import { decodeRequest, encodeLine, type SpawnerEvent } from './spawner-messages.js';

for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => {});

/** Output pipes of the children still running, by run id. */
const controls = new Map<number, OutputControl>();
let stdoutFull = false;

const send = (e: SpawnerEvent): void => {
  if (process.stdout.write(encodeLine(e)) || stdoutFull) return;
  stdoutFull = true;
  for (const c of controls.values()) c.hold('stdout');
  process.stdout.once('drain', () => {
    stdoutFull = false;
    for (const c of controls.values()) c.release('stdout');
  });
};
process.stdout.on('error', () => process.exit(0)); // ojd is gone

/** Process groups (and their leaders' start times) of children whose start ojd has not acknowledged yet, by run id. */
const unacknowledged = new Map<number, { pgid: number; start: number | null }>();

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  const q = decodeRequest(line);
  if (!q) {
    process.stderr.write(`oj spawner: ignored a request it cannot read: ${line.slice(0, 200)}\n`);
    return;
  }
  const id = q.id;
  if (q.t === 'recorded') {
    unacknowledged.delete(id);
    return;
  }
  if (q.t === 'hold' || q.t === 'release') {
    const c = controls.get(id);
    if (q.t === 'hold') c?.hold('ojd');
    else c?.release('ojd');
    return;
  }
  let ended = false;
  const control = launch(q.r, {
    started: (pid, start) => {
      if (pid > 0) unacknowledged.set(id, { pgid: pid, start });
      send({ t: 'started', id, pid, start });
    },
    output: (s, d) => send({ t: 'out', id, s, d }),
    exited: (code, signal, error) => {
      ended = true;
      unacknowledged.delete(id);
      controls.delete(id);
      send({ t: 'exit', id, code, signal, ...(error ? { error } : {}) });
    },
  });
  // A run that has already ended (bash could not start) is not kept.
  if (!ended) {
    controls.set(id, control);
    if (stdoutFull) control.hold('stdout');
  }
});
lines.on('close', () => {
  // Crash suite (OJ_FAULT=spawner:slow-exit): a spawner slow to notice ojd is gone, as on a loaded machine.
  if ((process.env.OJ_FAULT ?? '').split(',').includes('spawner:slow-exit')) setTimeout(endUnacknowledged, 3000);
  else endUnacknowledged();
});

function endUnacknowledged(): void {
  for (const { pgid, start } of unacknowledged.values()) {
    // A leader that has exited may have been reaped and its id reused: only the group we started.
    if (!recordedGroupIsOurs(pgid, start)) continue;
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  process.exit(0);
}
