/**
 * Queue throughput, each rate beside its floor, measured in one run:
 * - `queues.add` of N items in one call;
 * - take + complete over raw JSON-RPC by external consumers (no process per
 *   item): 4, 8 and 16 clients, each one call at a time; then the same
 *   clients taking a batch (`count`) and completing it in one call (`ids`);
 * - a worker's drain at concurrency 8 whose handler runs no process (its one
 *   phase has no `run`), and one whose handler runs `true`;
 * against the durable SQLite commit rate with ojd's settings (every answer
 * leaves only once its write is durable), and, for the drain that starts
 * processes, `bash -c true` 8 at a time. Then graphile-worker and BullMQ on
 * this machine (competitors.mjs). Each timed part stops after its budget so
 * the whole bench stays within minutes on a slow machine; the rate is items
 * completed over the time taken, and the note says how many.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { competitorRows } from './competitors.mjs';
import { drain, drainedText, takeAndComplete } from './lib/queue-drive.mjs';
import { BenchClient } from './lib/rpc-client.mjs';
import { BenchDaemon, benchEnv, timeRun } from './lib/procs.mjs';
import { makeProject, queueRunbook } from './lib/project.mjs';
import { median, msSince, now } from './lib/stats.mjs';

const CONCURRENCY = 8;
/** Consumers over RPC, each one call at a time (8: the concurrency the competitors drain at). */
const CLIENTS = [4, 8, 16];
/** Batch consumers: clients, and items per take (each batch completed in one call). */
const BATCHED = [
  { clients: 4, batch: 16 },
  { clients: 8, batch: 16 },
  { clients: 16, batch: 8 },
];
const BUDGET_S = { full: 15, quick: 6 };
const PROCESS_DRAIN_BUDGET_S = { full: 45, quick: 15 };

export async function queueBench(ctx) {
  const items = ctx.quick ? 2000 : 10_000;
  const rpcItems = ctx.quick ? 4000 : 40_000;
  const budgetMs = (ctx.quick ? BUDGET_S.quick : BUDGET_S.full) * 1000;
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
  const add = async (queue, n, tag) => {
    const batch = Array.from({ length: n }, (_, i) => ({ id: `${tag}${i}`, title: `item ${i}` }));
    const t0 = now();
    const added = await rpc.call('queues.add', { project, queue, items: batch });
    if (added.added !== n) throw new Error(`queues.add added ${added.added} of ${n}`);
    return msSince(t0);
  };
  const measured = [];
  let addMs;
  try {
    addMs = await add('items', items, 'i');
    const parts = [
      ...CLIENTS.map((clients) => ({ name: `take + complete over RPC, ${clients} clients`, clients, batch: 0 })),
      ...BATCHED.map(({ clients, batch }) => ({ name: `take ${batch} + complete ${batch} per call, ${clients} clients`, clients, batch })),
    ];
    for (const [n, c] of parts.entries()) {
      // Each part starts with rpcItems pending (what the one before left, topped up).
      const pending = await pendingOf(rpc, project, 'rpc');
      if (pending < rpcItems) await add('rpc', rpcItems - pending, `${n}-`);
      const r = await takeAndComplete(daemon.socket, project, 'rpc', { clients: c.clients, budgetMs, batch: c.batch });
      measured.push({ ...c, ...r, total: Math.max(pending, rpcItems) });
    }
    await add('quiet', items, 'q');
    measured.push({ name: `drain, concurrency ${CONCURRENCY}, handler runs no process`, ...(await drain(rpc, project, 'quiet', 'quiet', items, budgetMs)), total: items });
    const budget = (ctx.quick ? PROCESS_DRAIN_BUDGET_S.quick : PROCESS_DRAIN_BUDGET_S.full) * 1000;
    measured.push({ name: `drain, concurrency ${CONCURRENCY}, handler runs \`true\``, ...(await drain(rpc, project, 'items', 'drain', items, budget)), total: items, spawns: true });
  } finally {
    rpc.close();
    await daemon.stop();
  }
  await floors();
  const sqlite = median(sqliteRates);
  const spawns = median(spawnRates);
  const floor = { floorName: 'durable SQLite tx/s', floor: sqlite };
  ctx.row({ section: 'Queue', name: `queues.add of ${items.toLocaleString('en')} items (one call)`, value: items / (addMs / 1000), unit: 'items/s', ...floor, ratio: items / (addMs / 1000) / sqlite });
  for (const m of measured) {
    const rate = m.completed / (m.ms / 1000);
    ctx.row({
      section: 'Queue',
      name: m.name,
      value: rate,
      unit: 'items/s',
      ...floor,
      ratio: rate / sqlite,
      note: `${drainedText(m.completed, m.total)} in ${(m.ms / 1000).toFixed(1)} s`,
    });
    if (m.spawns) ctx.row({ section: 'Queue', name: '  same drain', value: rate, unit: 'items/s', floorName: `bash -c true, ${CONCURRENCY} at a time`, floor: spawns, ratio: rate / spawns });
  }
  const eight = measured.find((m) => m.clients === CONCURRENCY && !m.batch);
  const eightBatched = measured.find((m) => m.clients === CONCURRENCY && m.batch);
  const rate = (m) => m.completed / (m.ms / 1000);
  if (ctx.competitors) {
    await competitorRows(ctx, {
      jobs: items,
      oj: { name: `oj: take + complete, ${CONCURRENCY} clients`, rate: rate(eight) },
      ojBatch: { name: `oj's ${CONCURRENCY} clients taking ${eightBatched.batch} per call`, rate: rate(eightBatched) },
    });
  }
}

async function pendingOf(rpc, project, queue) {
  const { queues } = await rpc.call('queues.queues', { project });
  return queues.find((q) => q.name === queue)?.counts.pending ?? 0;
}

function sqliteRate(file) {
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
