/**
 * Idle cost: a daemon with 5 started workers on empty queues and a 1-second
 * cron running `true`, left alone. CPU seconds it uses (its own; the
 * processes its cron starts are counted apart) and its RSS. Floors, measured
 * in the same window: a bare `node` waiting on a timer, and a bare Node
 * process doing the least a durable cron tick needs (floors/cron-tick.mjs).
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BenchClient } from './lib/rpc-client.mjs';
import { BenchDaemon, benchEnv, cpuSeconds, rssMb } from './lib/procs.mjs';
import { idleRunbook, makeProject } from './lib/project.mjs';

const WORKERS = 5;

export async function idleBench(ctx) {
  const seconds = ctx.quick ? 10 : 30;
  const stateDir = join(ctx.root, 'idle-state');
  const project = makeProject(join(ctx.root, 'idle-project'), { idle: idleRunbook(WORKERS) });
  const daemon = new BenchDaemon(stateDir, join(stateDir, 'ojd.sock'));
  await daemon.start();
  const floorDir = join(ctx.root, 'cron-floor');
  mkdirSync(floorDir, { recursive: true });
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env: benchEnv(), stdio: 'ignore' });
  const tickFloor = spawn(process.execPath, [join(import.meta.dirname, 'floors', 'cron-tick.mjs'), floorDir], { env: benchEnv(), stdio: 'ignore' });
  try {
    const rpc = await BenchClient.connect(daemon.socket);
    for (let i = 1; i <= WORKERS; i++) await rpc.call('workers.start', { project, name: `w${i}` });
    await rpc.call('crons.enable', { project, name: 'tick' });
    rpc.close();
    await sleep(2000); // let start-up work settle
    const pids = [daemon.pid, tickFloor.pid, bare.pid];
    const before = pids.map(cpuSeconds);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const wall = (performance.now() - t0) / 1000;
    const [d, f, b] = pids.map((pid, i) => {
      const after = cpuSeconds(pid);
      return { self: after.self - before[i].self, children: after.children - before[i].children };
    });
    const pct = (s) => (100 * s) / wall;
    ctx.row({
      section: 'Idle',
      name: `CPU over ${seconds} s (${WORKERS} workers, 1 s cron)`,
      value: pct(d.self),
      unit: '% core',
      floorName: 'bare cron tick',
      floor: pct(f.self),
      ratio: d.self / f.self,
      goal: '< 1%',
      met: pct(d.self) < 1,
      note: `${((1000 * d.self) / seconds).toFixed(1)} ms per tick (floor ${((1000 * f.self) / seconds).toFixed(1)}); bare node timer ${pct(b.self).toFixed(2)}%; cron's processes ${d.children.toFixed(2)} s`,
    });
    const rss = rssMb(daemon.pid);
    ctx.row({ section: 'Idle', name: 'RSS', value: rss, unit: 'MB', floorName: 'bare node', floor: rssMb(bare.pid), goal: '< 100 MB', met: rss < 100 });
  } finally {
    bare.kill('SIGKILL');
    tickFloor.kill('SIGKILL');
    await daemon.stop();
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
