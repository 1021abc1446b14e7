/**
 * Queue throughput: N items added in one `queues.add` call, drained by a
 * worker (concurrency 8, handler a one-phase `true` pipeline). Items/s
 * against two floors measured just before and after: the raw SQLite
 * write-transaction rate with ojd's settings, and `bash -c true` spawned
 * 8 at a time from Node (each item runs one such process). Draining is
 * timed for at most DRAIN_BUDGET seconds (the rate is items completed over
 * the time taken) so the whole bench stays under five minutes on a slow
 * machine; the table says how many items were drained.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BenchClient, waitFor } from './lib/rpc-client.mjs';
import { BenchDaemon, benchEnv, timeRun } from './lib/procs.mjs';
import { makeProject, queueRunbook } from './lib/project.mjs';
import { median, msSince, now } from './lib/stats.mjs';

const CONCURRENCY = 8;
const DRAIN_BUDGET = { full: 45, quick: 15 };

export async function queueBench(ctx) {
  const items = ctx.quick ? 2000 : 10_000;
  const stateDir = join(ctx.root, 'queue-state');
  const project = makeProject(join(ctx.root, 'queue-project'), { bench: queueRunbook(CONCURRENCY) });
  const sqliteRates = [];
  const spawnRates = [];
  const floors = async () => {
    sqliteRates.push(await sqliteRate(join(ctx.root, `sqlite-floor-${sqliteRates.length}.db`)));
    spawnRates.push(await spawnRate(ctx.quick ? 200 : 400));
  };
  await floors();
  const daemon = new BenchDaemon(stateDir, join(stateDir, 'ojd.sock'));
  await daemon.start();
  const rpc = await BenchClient.connect(daemon.socket);
  let addMs;
  let drainMs;
  let drained = 0;
  try {
    const batch = Array.from({ length: items }, (_, i) => ({ id: `i${i}`, title: `item ${i}` }));
    let t0 = now();
    const added = await rpc.call('queues.add', { project, queue: 'items', items: batch });
    addMs = msSince(t0);
    if (added.added !== items) throw new Error(`queues.add added ${added.added} of ${items}`);
    t0 = now();
    const budgetMs = (ctx.quick ? DRAIN_BUDGET.quick : DRAIN_BUDGET.full) * 1000;
    await rpc.call('workers.start', { project, name: 'drain' });
    await waitFor(
      'the queue to drain',
      async () => {
        const { queues } = await rpc.call('queues.queues', { project });
        const q = queues.find((x) => x.name === 'items');
        if (q.counts.dead > 0) throw new Error(`${q.counts.dead} items died`);
        drained = q.counts.completed;
        drainMs = msSince(t0);
        return drained === items || drainMs >= budgetMs;
      },
      600_000,
      100,
    );
  } finally {
    rpc.close();
    await daemon.stop();
  }
  await floors();
  const rate = drained / (drainMs / 1000);
  const drainedText = drained === items ? `${items.toLocaleString('en')} items` : `${drained.toLocaleString('en')} of ${items.toLocaleString('en')} items (time cap)`;
  const sqlite = median(sqliteRates);
  const spawns = median(spawnRates);
  ctx.row({ section: 'Queue', name: `queues.add of ${items.toLocaleString('en')} items (one call)`, value: items / (addMs / 1000), unit: 'items/s', floorName: 'SQLite tx/s', floor: sqlite, ratio: items / (addMs / 1000) / sqlite });
  ctx.row({
    section: 'Queue',
    name: `drain, concurrency ${CONCURRENCY}`,
    value: rate,
    unit: 'items/s',
    floorName: 'SQLite tx/s',
    floor: sqlite,
    ratio: rate / sqlite,
    note: `${drainedText} in ${(drainMs / 1000).toFixed(1)} s; ${(sqlite / rate).toFixed(1)} tx-equivalents per item`,
  });
  ctx.row({ section: 'Queue', name: '  same drain', value: rate, unit: 'items/s', floorName: `bash -c true, ${CONCURRENCY} at a time`, floor: spawns, ratio: rate / spawns });
}

async function sqliteRate(file) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'floors', 'sqlite-tx.mjs'), file, '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out).txPerSec) : reject(new Error(`sqlite floor exited ${code}`))));
  });
}

/** `bash -c true` processes per second, `CONCURRENCY` at a time. */
async function spawnRate(n) {
  const env = benchEnv();
  let next = 0;
  const t0 = now();
  const lane = async () => {
    while (next < n) {
      next++;
      await timeRun('bash', ['-c', 'true'], { env });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return n / (msSince(t0) / 1000);
}
