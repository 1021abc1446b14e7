/**
 * Pipeline step overhead: a 200-phase pipeline of `true` (created over RPC,
 * timed until `pipelines.wait` says it is done) against bash running
 * `bash -c true` 200 times, alternating. The same pipeline also runs on a
 * second daemon whose children go through the Node spawner process
 * (OJ_SPAWNER=node, the fallback where the native helper is not built).
 */
import { join } from 'node:path';
import { BenchClient } from './lib/rpc-client.mjs';
import { BenchDaemon, timeRun } from './lib/procs.mjs';
import { makeProject, stepsRunbook } from './lib/project.mjs';
import { median, msSince, now } from './lib/stats.mjs';

const PHASES = 200;

export async function stepsBench(ctx) {
  const daemon = ctx.daemons.cli ?? (ctx.daemons.cli = await startFresh(ctx));
  const nodeDaemon = (ctx.daemons.nodeSpawner = await startFresh(ctx, 'node'));
  const project = makeProject(join(ctx.root, 'steps-project'), { steps: stepsRunbook(PHASES) });
  const rpc = await BenchClient.connect(daemon.socket);
  const nodeRpc = await BenchClient.connect(nodeDaemon.socket);
  const spawner = (await rpc.call('daemon.status', {})).spawner.kind;
  try {
    const floorRun = async () => (await timeRun('bash', ['-c', `for i in $(seq ${PHASES}); do bash -c true; done`], { env: daemon.env })).ms;
    const nodeRun = async () => (await timeRun(process.execPath, [join(import.meta.dirname, 'floors', 'node-spawns.mjs'), String(PHASES)], { env: daemon.env })).ms;
    const pipelineRun = (client) => async () => {
      const t0 = now();
      const { pipeline } = await client.call('pipelines.create', { project, pipeline: 'steps' });
      const { results } = await client.call('pipelines.wait', { ids: [pipeline.id], timeoutMs: 300_000 });
      const ms = msSince(t0);
      if (results[0]?.status !== 'done') throw new Error(`steps pipeline ended ${results[0]?.status}`);
      return ms;
    };
    const ojRun = pipelineRun(rpc);
    const ojNodeRun = pipelineRun(nodeRpc);
    await floorRun();
    await nodeRun();
    await ojRun();
    await ojNodeRun();
    const rounds = ctx.quick ? 2 : 3;
    const times = new Map([floorRun, nodeRun, ojRun, ojNodeRun].map((run) => [run, []]));
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? [ojRun, ojNodeRun, nodeRun, floorRun] : [floorRun, nodeRun, ojNodeRun, ojRun];
      for (const run of order) times.get(run).push(await run());
    }
    const [floor, nodeFloor, oj, ojNode] = [floorRun, nodeRun, ojRun, ojNodeRun].map((run) => times.get(run));
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
      note: `${((o - f) / PHASES).toFixed(2)} ms per phase above bash; ${spawner} spawner`,
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
    const on = median(ojNode);
    ctx.row({
      section: 'Pipeline',
      name: '  same, Node spawner process (OJ_SPAWNER=node)',
      value: on,
      unit: 'ms',
      floorName: `bash: ${PHASES}× bash -c true`,
      floor: f,
      ratio: on / f,
      note: `${((on - f) / PHASES).toFixed(2)} ms per phase above bash; the fallback where the native helper is not built`,
    });
  } finally {
    rpc.close();
    nodeRpc.close();
    await nodeDaemon.stop(); // not left running through the sections after this one
    delete ctx.daemons.nodeSpawner;
  }
}

async function startFresh(ctx, spawner) {
  const stateDir = join(ctx.root, spawner ? `steps-state-${spawner}` : 'steps-state');
  const d = new BenchDaemon(stateDir, join(stateDir, 'ojd.sock'), spawner ? { env: { OJ_SPAWNER: spawner } } : {});
  await d.start();
  return d;
}
