/**
 * Scale: 10,000 finished pipelines and 100,000 events stored. Daemon
 * start-up (spawn until its socket answers: open, migrate, reconcile,
 * listen) against the same daemon on an empty state directory, alternating;
 * `oj pipeline list --json --limit 0` (all of them) and `oj pipeline list
 * --json` (the default page, the newest 50) against `node -e 0`; the
 * daemon's RSS after listing them all.
 */
import { join } from 'node:path';
import { BenchDaemon, OJ_BIN, rssMb, timeRun } from './lib/procs.mjs';
import { makeProject } from './lib/project.mjs';
import { seed } from './lib/seed.mjs';
import { median } from './lib/stats.mjs';

export async function scaleBench(ctx) {
  const pipelines = ctx.quick ? 2000 : 10_000;
  const events = ctx.quick ? 20_000 : 100_000;
  const bigDir = join(ctx.root, 'scale-state');
  const emptyDir = join(ctx.root, 'scale-empty');
  const project = makeProject(join(ctx.root, 'scale-project'), { bench: '[pipeline.work]\ninputs = ["n"]\n\n[[pipeline.work.phase]]\nname = "work"\nrun = "true"\n' });
  await seed(bigDir, project, { pipelines, events });
  const big = new BenchDaemon(bigDir, join(bigDir, 'ojd.sock'));
  const empty = new BenchDaemon(emptyDir, join(emptyDir, 'ojd.sock'));
  const rounds = ctx.quick ? 2 : 3;
  const startBig = [];
  const startEmpty = [];
  const list = [];
  const page = [];
  const node = [];
  const rss = [];
  for (let r = 0; r < rounds; r++) {
    startEmpty.push(await empty.start());
    await empty.stop();
    startBig.push(await big.start());
    const env = big.env;
    await timeRun(process.execPath, [OJ_BIN, 'pipeline', 'list', '--json', '--limit', '0'], { env, cwd: project }); // first load of the project
    for (let i = 0; i < 3; i++) {
      node.push((await timeRun(process.execPath, ['-e', '0'], { env, cwd: project })).ms);
      page.push((await timeRun(process.execPath, [OJ_BIN, 'pipeline', 'list', '--json'], { env, cwd: project })).ms);
      list.push((await timeRun(process.execPath, [OJ_BIN, 'pipeline', 'list', '--json', '--limit', '0'], { env, cwd: project })).ms);
    }
    rss.push(rssMb(big.pid));
    await big.stop();
  }
  const label = `${pipelines.toLocaleString('en')} pipelines, ${events.toLocaleString('en')} events`;
  const sb = median(startBig);
  const se = median(startEmpty);
  ctx.row({ section: 'Scale', name: `daemon start-up (${label})`, value: sb, unit: 'ms', floorName: 'empty state dir', floor: se, ratio: sb / se });
  const l = median(list);
  const n = median(node);
  const count = pipelines.toLocaleString('en');
  ctx.row({ section: 'Scale', name: `oj pipeline list --json --limit 0 (${count})`, value: l, unit: 'ms', floorName: 'node -e 0', floor: n, ratio: l / n, note: `all ${count}` });
  const p = median(page);
  ctx.row({ section: 'Scale', name: `oj pipeline list --json (${count} stored)`, value: p, unit: 'ms', floorName: 'node -e 0', floor: n, ratio: p / n, note: 'the default page: newest 50' });
  ctx.row({ section: 'Scale', name: 'daemon RSS after listing', value: Math.max(...rss), unit: 'MB' });
}
