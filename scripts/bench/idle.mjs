/**
 * Idle cost: a daemon with 5 started workers on empty queues and a 1-second
 * cron, left alone. CPU seconds it uses (its own; what its cron runs is
 * counted apart) and its RSS, beside a bare `node` process waiting on a timer.
 */
import { spawn } from 'node:child_process';
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
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env: benchEnv(), stdio: 'ignore' });
  try {
    const rpc = await BenchClient.connect(daemon.socket);
    for (let i = 1; i <= WORKERS; i++) await rpc.call('workers.start', { project, name: `w${i}` });
    await rpc.call('crons.enable', { project, name: 'tick' });
    rpc.close();
    await sleep(2000); // let start-up work settle
    const before = cpuSeconds(daemon.pid);
    const bareBefore = cpuSeconds(bare.pid);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const wall = (performance.now() - t0) / 1000;
    const after = cpuSeconds(daemon.pid);
    const bareAfter = cpuSeconds(bare.pid);
    const used = after.self - before.self;
    const pct = (100 * used) / wall;
    ctx.row({
      section: 'Idle',
      name: `CPU over ${seconds} s (${WORKERS} workers, 1 s cron)`,
      value: pct,
      unit: '% core',
      floorName: 'bare node timer',
      floor: (100 * (bareAfter.self - bareBefore.self)) / wall,
      goal: '< 1%',
      met: pct < 1,
      note: `${used.toFixed(2)} CPU s; cron's own processes ${(after.children - before.children).toFixed(2)} s`,
    });
    const rss = rssMb(daemon.pid);
    ctx.row({ section: 'Idle', name: 'RSS', value: rss, unit: 'MB', floorName: 'bare node', floor: rssMb(bare.pid), goal: '< 100 MB', met: rss < 100 });
  } finally {
    bare.kill('SIGKILL');
    await daemon.stop();
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
