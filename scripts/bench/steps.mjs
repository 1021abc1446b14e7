/**
 * Pipeline step overhead: a 200-phase pipeline of `true` (created over RPC,
 * timed until `pipelines.wait` says it is done) against bash running
 * `bash -c true` 200 times, alternating.
 */
import { join } from 'node:path';
import { BenchClient } from './lib/rpc-client.mjs';
import { BenchDaemon, timeRun } from './lib/procs.mjs';
import { makeProject, stepsRunbook } from './lib/project.mjs';
import { median, msSince, now } from './lib/stats.mjs';

const PHASES = 200;

export async function stepsBench(ctx) {
  const daemon = ctx.daemons.cli ?? (ctx.daemons.cli = await startFresh(ctx));
  const project = makeProject(join(ctx.root, 'steps-project'), { steps: stepsRunbook(PHASES) });
  const rpc = await BenchClient.connect(daemon.socket);
  try {
    const floorRun = async () => (await timeRun('bash', ['-c', `for i in $(seq ${PHASES}); do bash -c true; done`], { env: daemon.env })).ms;
    const nodeRun = async () => (await timeRun(process.execPath, [join(import.meta.dirname, 'floors', 'node-spawns.mjs'), String(PHASES)], { env: daemon.env })).ms;
    const ojRun = async () => {
      const t0 = now();
      const { pipeline } = await rpc.call('pipelines.create', { project, pipeline: 'steps' });
      const { results } = await rpc.call('pipelines.wait', { ids: [pipeline.id], timeoutMs: 300_000 });
      const ms = msSince(t0);
      if (results[0]?.status !== 'done') throw new Error(`steps pipeline ended ${results[0]?.status}`);
      return ms;
    };
    await floorRun();
    await nodeRun();
    await ojRun();
    const rounds = ctx.quick ? 2 : 3;
    const floor = [];
    const nodeFloor = [];
    const oj = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? [ojRun, nodeRun, floorRun] : [floorRun, nodeRun, ojRun];
      for (const run of order) {
        const ms = await run();
        (run === ojRun ? oj : run === nodeRun ? nodeFloor : floor).push(ms);
      }
    }
    if (process.env.OJ_BENCH_DEBUG) process.stderr.write(`steps: oj ${oj.map(Math.round)} floor ${floor.map(Math.round)}\n`);
    const f = median(floor);
    const o = median(oj);
    ctx.row({
      section: 'Pipeline',
      name: `${PHASES}-phase pipeline of true`,
      value: o,
      unit: 'ms',
      floorName: `bash: ${PHASES}× bash -c true`,
      floor: f,
      ratio: o / f,
      goal: '≤ 1.5×',
      met: o / f <= 1.5,
      note: `${((o - f) / PHASES).toFixed(2)} ms per phase above bash`,
    });
    const nf = median(nodeFloor);
    ctx.row({
      section: 'Pipeline',
      name: '  same pipeline',
      value: o,
      unit: 'ms',
      floorName: `bare Node: ${PHASES}× spawn bash -c true`,
      floor: nf,
      ratio: o / nf,
      note: `${((o - nf) / PHASES).toFixed(2)} ms of oj per phase; Node's spawn is ${(nf / f).toFixed(2)}× bash's`,
    });
  } finally {
    rpc.close();
  }
}

async function startFresh(ctx) {
  const stateDir = join(ctx.root, 'steps-state');
  const d = new BenchDaemon(stateDir, join(stateDir, 'ojd.sock'));
  await d.start();
  return d;
}
