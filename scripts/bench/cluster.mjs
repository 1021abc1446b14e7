/**
 * Cluster mode (docs/cluster.md) on a throwaway PostgreSQL 15 started here
 * (lib/pg.mjs, durable defaults): skipped, saying why, without its binaries.
 *
 *   - drain: N items drained by a worker (concurrency 8, handler a one-phase
 *     `true` pipeline) on one host, then N more on a fresh database by the
 *     same worker started on two hosts (two ojd on this machine): items/s,
 *     and two hosts' rate over one's; one host's against the same daemon on
 *     its own (SQLite, no cluster);
 *   - take + complete over RPC (`queues.take`, `queues.complete`, 4 clients,
 *     no process per item): a daemon in cluster mode against one on its own
 *     (SQLite);
 *   - one queue transition in the shared store (floors/queue-transition.mjs):
 *     PostgreSQL against SQLite, per take and per complete.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchClient, waitFor } from './lib/rpc-client.mjs';
import { BenchDaemon } from './lib/procs.mjs';
import { BenchPg, pgMissing } from './lib/pg.mjs';
import { makeProject, queueRunbook } from './lib/project.mjs';
import { msSince, now } from './lib/stats.mjs';

const CONCURRENCY = 8;
const LANES = 4;

export async function clusterBench(ctx) {
  const missing = pgMissing();
  if (missing) {
    process.stderr.write(`bench: cluster: skipped: ${missing}\n`);
    return;
  }
  const pg = BenchPg.start();
  try {
    const items = ctx.quick ? 200 : 600;
    const alone = await drain(ctx, null, ['alone'], items);
    const one = await drain(ctx, pg, ['solo'], items);
    const two = await drain(ctx, pg, ['one', 'two'], items);
    ctx.row({
      section: 'Cluster',
      name: `drain of ${items} items, concurrency ${CONCURRENCY}: one host`,
      value: one.rate,
      unit: 'items/s',
      floorName: 'the same daemon on its own, SQLite',
      floor: alone.rate,
      ratio: one.rate / alone.rate,
      note: `${one.seconds.toFixed(1)} s (on its own: ${alone.seconds.toFixed(1)} s)`,
    });
    ctx.row({
      section: 'Cluster',
      name: `  same, worker on two hosts (two ojd here)`,
      value: two.rate,
      unit: 'items/s',
      floorName: 'one host',
      floor: one.rate,
      ratio: two.rate / one.rate,
      note: `${two.seconds.toFixed(1)} s; shares ${two.shares.join(' + ')}`,
    });

    const cycles = ctx.quick ? 400 : 1200;
    const sqliteRate = await takeComplete(ctx, null, cycles);
    const pgRate = await takeComplete(ctx, pg, cycles);
    ctx.row({ section: 'Cluster', name: `take + complete over RPC, ${LANES} clients, PostgreSQL`, value: pgRate, unit: 'items/s', floorName: 'SQLite', floor: sqliteRate, ratio: pgRate / sqliteRate, note: `${cycles} items, no process per item` });

    const n = ctx.quick ? 300 : 1000;
    const lite = await transition(join(ctx.root, 'transition-sqlite'), n, null);
    const post = await transition(join(ctx.root, 'transition-pg'), n, pg.createDatabase('transition'));
    ctx.row({ section: 'Cluster', name: 'one queue transition (take), PostgreSQL', value: post.takeMs, unit: 'ms', floorName: 'SQLite', floor: lite.takeMs, ratio: post.takeMs / lite.takeMs, note: `${n} in a row, one transaction each` });
    ctx.row({ section: 'Cluster', name: 'one queue transition (complete), PostgreSQL', value: post.completeMs, unit: 'ms', floorName: 'SQLite', floor: lite.completeMs, ratio: post.completeMs / lite.completeMs });
  } finally {
    for (const [k, d] of Object.entries(ctx.daemons)) {
      if (!k.startsWith('cluster-')) continue;
      await d.stop().catch(() => {});
      delete ctx.daemons[k];
    }
    pg.stop();
  }
}

/** Daemons named `hosts` on one fresh database, each with its checkout of one project. */
async function startHosts(ctx, url, hosts, tag, runbook) {
  const out = [];
  for (const host of hosts) {
    const stateDir = join(ctx.root, `cluster-${tag}-${host}`);
    const project = makeProject(join(ctx.root, `cluster-${tag}-${host}-project`), { bench: runbook });
    writeFileSync(join(project, '.oj', 'config.toml'), '[project]\nname = "bench"\n');
    mkdirSync(stateDir, { recursive: true });
    const env = url ? { OJ_DATABASE_URL: url, OJ_HOST_ID: host } : {};
    const daemon = new BenchDaemon(stateDir, join(stateDir, 'ojd.sock'), { env });
    await daemon.start();
    ctx.daemons[`cluster-${tag}-${host}`] = daemon;
    out.push({ host, daemon, project, rpc: await BenchClient.connect(daemon.socket) });
  }
  return out;
}

async function stopHosts(ctx, tag, hosts) {
  for (const h of hosts) {
    h.rpc.close();
    await h.daemon.stop();
    delete ctx.daemons[`cluster-${tag}-${h.host}`];
  }
}

/** `pg` null: one daemon on its own (SQLite). */
async function drain(ctx, pg, names, items) {
  const tag = `drain${names.length}${pg ? '' : '-sqlite'}`;
  const hosts = await startHosts(ctx, pg ? pg.createDatabase(tag) : null, names, tag, queueRunbook(CONCURRENCY));
  try {
    const [first] = hosts;
    const batch = Array.from({ length: items }, (_, i) => ({ id: `i${i}` }));
    await first.rpc.call('queues.add', { project: first.project, queue: 'items', items: batch });
    const t0 = now();
    await Promise.all(hosts.map((h) => h.rpc.call('workers.start', { project: h.project, name: 'drain' })));
    await waitFor(
      'the queue to drain',
      async () => {
        const { queues } = await first.rpc.call('queues.queues', { project: first.project });
        const q = queues.find((x) => x.name === 'items');
        if (q.counts.dead > 0) throw new Error(`${q.counts.dead} items died`);
        return q.counts.completed === items;
      },
      600_000,
      100,
    );
    const seconds = msSince(t0) / 1000;
    const shares = [];
    for (const h of hosts) {
      const { events } = await h.rpc.call('events.list', { name: 'queue:item:completed', limit: 100000 });
      shares.push(events.length);
    }
    return { rate: items / seconds, seconds, shares };
  } finally {
    await stopHosts(ctx, tag, hosts);
  }
}

async function takeComplete(ctx, pg, cycles) {
  const tag = pg ? 'rpc-pg' : 'rpc-sqlite';
  const [h] = await startHosts(ctx, pg ? pg.createDatabase('rpc') : null, ['rpc'], tag, '[queue.items]\n');
  try {
    const batch = Array.from({ length: cycles }, (_, i) => ({ id: `i${i}` }));
    await h.rpc.call('queues.add', { project: h.project, queue: 'items', items: batch });
    const clients = await Promise.all(Array.from({ length: LANES }, () => BenchClient.connect(h.daemon.socket)));
    const t0 = now();
    let done = 0;
    await Promise.all(
      clients.map(async (c) => {
        for (;;) {
          const { item } = await c.call('queues.take', { project: h.project, queue: 'items', by: 'bench' });
          if (!item) return;
          await c.call('queues.complete', { project: h.project, queue: 'items', id: item.id });
          done++;
        }
      }),
    );
    const rate = done / (msSince(t0) / 1000);
    for (const c of clients) c.close();
    if (done !== cycles) throw new Error(`took and completed ${done} of ${cycles}`);
    return rate;
  } finally {
    await stopHosts(ctx, tag, [h]);
  }
}

function transition(stateDir, n, url) {
  mkdirSync(stateDir, { recursive: true });
  return new Promise((resolve, reject) => {
    const args = [join(import.meta.dirname, 'floors', 'queue-transition.mjs'), stateDir, String(n), ...(url ? [url] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`queue-transition exited ${code}`))));
  });
}
