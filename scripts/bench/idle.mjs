/**
 * Idle cost: a daemon with 5 started workers on empty queues and a 1-second
 * cron running `true`, left alone. CPU seconds it uses (ojd's own plus its
 * spawner process's; the processes its cron starts are counted apart) and its
 * memory: the RSS of ojd and of every helper process it keeps (the spawner),
 * summed, against the RSS of pm2's idle daemon (lib/pm2.mjs: installed at
 * bench time, started with `pm2 ping`, as old as ojd when measured), with
 * their PSS (which counts the pages the Node processes share once) beside.
 * Floors, measured in the same window: a bare `node` waiting on a timer, and
 * a bare Node process doing the least a durable cron tick needs
 * (floors/cron-tick.mjs).
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BenchClient } from './lib/rpc-client.mjs';
import { BenchDaemon, benchEnv, cpuSeconds, helperProcessesOf, pssMb, rssMb, spawnerPidOf } from './lib/procs.mjs';
import { startPm2 } from './lib/pm2.mjs';
import { idleRunbook, makeProject } from './lib/project.mjs';

const WORKERS = 5;
/** When ojd runs its first retention pass (main/wire-maintenance.ts). */
const FIRST_PRUNE_MS = 30_000;

export async function idleBench(ctx) {
  const seconds = ctx.quick ? 10 : 30;
  const stateDir = join(ctx.root, 'idle-state');
  const project = makeProject(join(ctx.root, 'idle-project'), { idle: idleRunbook(WORKERS) });
  const daemon = new BenchDaemon(stateDir, join(stateDir, 'ojd.sock'));
  // Installed first, so that npm's work is over before anything is measured.
  process.stderr.write('bench: idle: installing pm2 into a temp dir for the memory comparison...\n');
  const pm2 = await startPm2(join(ctx.root, 'pm2'));
  if (pm2.skipped) process.stderr.write(`bench: idle: pm2 comparison skipped: ${pm2.skipped}\n`);
  const daemonStartedAt = Date.now();
  try {
    await daemon.start();
  } catch (err) {
    if (!pm2.skipped) await pm2.stop();
    throw err;
  }
  const floorDir = join(ctx.root, 'cron-floor');
  mkdirSync(floorDir, { recursive: true });
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env: benchEnv(), stdio: 'ignore' });
  const tickFloor = spawn(process.execPath, [join(import.meta.dirname, 'floors', 'cron-tick.mjs'), floorDir], { env: benchEnv(), stdio: 'ignore' });
  try {
    const rpc = await BenchClient.connect(daemon.socket);
    for (let i = 1; i <= WORKERS; i++) await rpc.call('workers.start', { project, name: `w${i}` });
    await rpc.call('crons.enable', { project, name: 'tick' });
    rpc.close();
    // Steady state: start-up work (first cron ticks, the first retention pass,
    // which ojd runs 30 s after it starts) is not idling.
    await sleep(Math.max(2000, daemonStartedAt + FIRST_PRUNE_MS + 2000 - Date.now()));
    const spawner = spawnerPidOf(daemon.pid);
    if (spawner === null) throw new Error('ojd has no spawner process');
    const pids = [daemon.pid, spawner, tickFloor.pid, bare.pid];
    const before = pids.map(cpuSeconds);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const wall = (performance.now() - t0) / 1000;
    const [d, sp, f, b] = pids.map((pid, i) => {
      const after = cpuSeconds(pid);
      return { self: after.self - before[i].self, children: after.children - before[i].children };
    });
    const pct = (s) => (100 * s) / wall;
    const oj = d.self + sp.self;
    ctx.row({
      section: 'Idle',
      name: `CPU over ${seconds} s (${WORKERS} workers, 1 s cron)`,
      value: pct(oj),
      unit: '% core',
      floorName: 'bare cron tick',
      floor: pct(f.self),
      ratio: oj / f.self,
      goal: '< 1%',
      met: pct(oj) < 1,
      note: `${((1000 * oj) / seconds).toFixed(1)} ms per tick: ojd ${((1000 * d.self) / seconds).toFixed(1)} + spawner ${((1000 * sp.self) / seconds).toFixed(1)} (floor ${((1000 * f.self) / seconds).toFixed(1)}); bare node timer ${pct(b.self).toFixed(2)}%; cron's processes ${sp.children.toFixed(2)} s`,
    });
    // Every process ojd keeps counts, whatever it is (the spawner today).
    const helpers = await helperProcessesOf(daemon.pid);
    const rss = { ojd: rssMb(daemon.pid), helpers: helpers.map((h) => ({ name: helperName(h.cmdline), mb: rssMb(h.pid) })) };
    const total = rss.ojd + rss.helpers.reduce((n, h) => n + h.mb, 0);
    const pss = pssMb(daemon.pid) + helpers.reduce((n, h) => n + pssMb(h.pid), 0);
    const pm2Rss = pm2.skipped ? NaN : rssMb(pm2.pid);
    ctx.row({
      section: 'Idle',
      name: `memory: RSS of ojd + ${helpers.length === 1 ? 'its helper process' : `its ${helpers.length} helper processes`}`,
      value: total,
      unit: 'MB',
      ...(pm2.skipped ? {} : { floorName: `pm2 ${pm2.version}'s idle daemon`, floor: pm2Rss, ratio: total / pm2Rss }),
      goal: pm2.skipped ? `< pm2's daemon (skipped: ${pm2.skipped})` : "< pm2's daemon",
      ...(pm2.skipped ? {} : { met: total < pm2Rss }),
      note:
        `ojd ${rss.ojd.toFixed(1)} MB${rss.helpers.map((h) => ` + ${h.name} ${h.mb.toFixed(1)} MB`).join('')}; bare node ${rssMb(bare.pid).toFixed(0)} MB; ` +
        `PSS of them ${pss.toFixed(0)} MB` +
        (pm2.skipped ? '' : `, pm2 ${pssMb(pm2.pid).toFixed(0)} MB`),
    });
  } finally {
    bare.kill('SIGKILL');
    tickFloor.kill('SIGKILL');
    await daemon.stop();
    if (!pm2.skipped) await pm2.stop();
  }
}

/** A helper's short name from its command line (`spawner-process.js`, `oj-spawn`). */
function helperName(cmdline) {
  const words = cmdline.split(' ');
  const script = words.find((w) => /\.(m?js)$/.test(w)) ?? words[0] ?? '?';
  return script.split('/').pop();
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
