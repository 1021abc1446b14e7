/**
 * CLI round trip: `oj status --json`, `oj pipeline list --json` (1,000
 * pipelines stored: the default page, the newest 50) and `oj pipeline list
 * --json --limit 0` (all 1,000) against `node -e 0`, interleaved run by run
 * (the order rotates each round so no command always follows another).
 */
import module from 'node:module';
import { join } from 'node:path';
import { BenchDaemon, OJ_BIN, timeRun } from './lib/procs.mjs';
import { makeProject } from './lib/project.mjs';
import { seed } from './lib/seed.mjs';
import { median } from './lib/stats.mjs';

export async function cliBench(ctx) {
  const stateDir = join(ctx.root, 'cli-state');
  const project = makeProject(join(ctx.root, 'cli-project'), { bench: '[pipeline.work]\ninputs = ["n"]\n\n[[pipeline.work.phase]]\nname = "work"\nrun = "true"\n' });
  await seed(stateDir, project, { pipelines: 1000, events: 3000 });
  const daemon = new BenchDaemon(stateDir, join(stateDir, 'ojd.sock'));
  await daemon.start();
  ctx.daemons.cli = daemon;
  const env = daemon.env;
  const commands = {
    'node -e 0': () => timeRun(process.execPath, ['-e', '0'], { env, cwd: project }),
    'oj status --json': () => timeRun(process.execPath, [OJ_BIN, 'status', '--json'], { env, cwd: project }),
    'oj pipeline list --json': () => timeRun(process.execPath, [OJ_BIN, 'pipeline', 'list', '--json'], { env, cwd: project }),
    'oj pipeline list --json --limit 0': () => timeRun(process.execPath, [OJ_BIN, 'pipeline', 'list', '--json', '--limit', '0'], { env, cwd: project }),
    'oj --version': () => timeRun(process.execPath, [OJ_BIN, '--version'], { env, cwd: project }),
  };
  // Node >= 22.1: the CLI keeps its compiled code on disk (bin/oj.js); the same command without it.
  const compileCache = typeof module.enableCompileCache === 'function';
  if (compileCache) {
    const cached = { ...env, NODE_COMPILE_CACHE: join(ctx.root, 'cli-compile-cache') };
    commands['oj status --json'] = () => timeRun(process.execPath, [OJ_BIN, 'status', '--json'], { env: cached, cwd: project });
    commands['oj status --json, no compile cache'] = () =>
      timeRun(process.execPath, [OJ_BIN, 'status', '--json'], { env: { ...env, NODE_DISABLE_COMPILE_CACHE: '1' }, cwd: project });
  } else {
    process.stderr.write(`bench: cli: no compile cache on Node ${process.version} (it needs >= 22.1)\n`);
  }
  const names = Object.keys(commands);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  // One warm-up round (page cache, the daemon's first load of the project).
  for (const n of names) await commands[n]();
  const rounds = ctx.quick ? 8 : 20;
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(r + k) % names.length];
      samples[n].push((await commands[n]()).ms);
    }
  }
  const floor = median(samples['node -e 0']);
  ctx.row({ section: 'CLI', name: 'node -e 0 (floor)', value: floor, unit: 'ms' });
  const notes = { 'oj pipeline list --json': 'the default page: newest 50', 'oj pipeline list --json --limit 0': 'all 1,000' };
  for (const n of ['oj --version', 'oj status --json', 'oj pipeline list --json', 'oj pipeline list --json --limit 0']) {
    const v = median(samples[n]);
    // The goal is for what people and scripts run by default; the full listing is shown for comparison.
    const goal = n === 'oj --version' || n.includes('--limit 0') ? null : 1.3;
    ctx.row({
      section: 'CLI',
      name: n + (n.includes('list') ? ' (1,000 stored)' : ''),
      value: v,
      unit: 'ms',
      floorName: 'node -e 0',
      floor,
      ratio: v / floor,
      goal: goal === null ? null : `≤ ${goal}×`,
      met: goal === null ? null : v / floor <= goal,
      ...(notes[n] ? { note: notes[n] } : {}),
    });
  }
  if (compileCache) {
    const off = median(samples['oj status --json, no compile cache']);
    const on = median(samples['oj status --json']);
    ctx.row({
      section: 'CLI',
      name: 'oj status --json, compile cache off',
      value: off,
      unit: 'ms',
      floorName: 'oj status --json (cache on)',
      floor: on,
      ratio: off / on,
      goal: null,
      met: null,
      note: `the compile cache saves ${(off - on).toFixed(1)} ms a run (${process.version})`,
    });
  }
}
