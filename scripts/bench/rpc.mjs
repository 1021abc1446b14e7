/**
 * Raw RPC: `daemon.ping` over ojd's socket against the bare echo server
 * (floors/echo-server.mjs), both separate processes driven by the same
 * client. Latency: sequential calls, p50/p99 pooled over rounds. Throughput:
 * each client keeps WINDOW requests in flight until it has sent its share;
 * rounds alternate echo and ojd, and the median round counts.
 */
import { join } from 'node:path';
import { BenchClient } from './lib/rpc-client.mjs';
import { startHelper } from './lib/procs.mjs';
import { median, msSince, now, percentile } from './lib/stats.mjs';

const WINDOW = 32;

export async function rpcBench(ctx) {
  const daemon = ctx.daemons.cli;
  const echoSocket = join(ctx.root, 'echo.sock');
  const echo = await startHelper([join(import.meta.dirname, 'floors', 'echo-server.mjs'), echoSocket], echoSocket);
  try {
    const targets = {
      echo: { socket: echoSocket, method: 'ping' },
      ojd: { socket: daemon.socket, method: 'daemon.ping' },
    };
    const rounds = ctx.quick ? 3 : 5;
    const latency = { echo: [], ojd: [] };
    const tput = { echo: { 1: [], 8: [] }, ojd: { 1: [], 8: [] } };
    const perRound = ctx.quick ? 300 : 600;
    const total = ctx.quick ? 8000 : 20000;
    for (const t of Object.values(targets)) await pingSequential(t, 100); // warm-up
    for (const t of Object.values(targets)) await throughput(t, 1, 2000);
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? ['ojd', 'echo'] : ['echo', 'ojd'];
      for (const k of order) latency[k].push(...(await pingSequential(targets[k], perRound)));
      for (const clients of [1, 8]) {
        for (const k of order) tput[k][clients].push(await throughput(targets[k], clients, total));
      }
    }
    const p = (k, q) => percentile(latency[k], q);
    for (const q of [50, 99]) {
      ctx.row({ section: 'RPC', name: `ping p${q}`, value: p('ojd', q), unit: 'ms', floorName: 'echo server', floor: p('echo', q), ratio: p('ojd', q) / p('echo', q) });
    }
    for (const clients of [1, 8]) {
      const o = median(tput.ojd[clients]);
      const e = median(tput.echo[clients]);
      ctx.row({
        section: 'RPC',
        name: `pipelined ping, ${clients} client${clients > 1 ? 's' : ''}`,
        value: o,
        unit: 'req/s',
        floorName: 'echo server',
        floor: e,
        ratio: o / e,
        goal: '≥ 0.5×',
        met: o / e >= 0.5,
      });
    }
  } finally {
    await echo.stop();
  }
}

async function pingSequential(target, n) {
  const c = await BenchClient.connect(target.socket);
  const out = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = now();
      await c.call(target.method);
      out.push(msSince(t0));
    }
  } finally {
    c.close();
  }
  return out;
}

/** Requests per second from `clients` connections sending `total` requests between them. */
async function throughput(target, clients, total) {
  const conns = await Promise.all(Array.from({ length: clients }, () => BenchClient.connect(target.socket)));
  const share = Math.ceil(total / clients);
  const t0 = now();
  try {
    await Promise.all(
      conns.map(async (c) => {
        let sent = 0;
        const lane = async () => {
          while (sent < share) {
            sent++;
            await c.call(target.method);
          }
        };
        await Promise.all(Array.from({ length: WINDOW }, lane));
      }),
    );
  } finally {
    for (const c of conns) c.close();
  }
  return (share * clients) / (msSince(t0) / 1000);
}
