/**
 * BullMQ's figures on this machine, in a process of its own: `n` no-op
 * jobs added with addBulk (chunks of 1,000), then drained by a Worker at
 * concurrency `c` with its default options (jobs/s from the worker's start
 * to the last job's completion). Its packages come from `prefix` (installed
 * there by the bench, never a dependency of oj). Prints
 * {"version","added","addPerSec","drainPerSec"}.
 *   node bullmq-drain.mjs <prefix> <redis unix socket> <n> <c>
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [prefix, socket, nArg, cArg] = process.argv.slice(2);
const n = Number(nArg);
const concurrency = Number(cArg);
const load = createRequire(join(prefix, 'package.json'));
const name = 'bullmq';
const { Queue, Worker } = load(name);
const version = load(`${name}/package.json`).version;
const connection = { path: socket, maxRetriesPerRequest: null };

const queue = new Queue('bench', { connection });
let t0 = performance.now();
for (let i = 0; i < n; i += 1000) {
  await queue.addBulk(Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ name: 'noop', data: { i: i + j } })));
}
const addPerSec = n / ((performance.now() - t0) / 1000);

let done = 0;
let finished;
const all = new Promise((resolve) => (finished = resolve));
t0 = performance.now();
const worker = new Worker('bench', async () => {}, { connection, concurrency });
worker.on('completed', () => {
  if (++done === n) finished();
});
await all;
const drainPerSec = n / ((performance.now() - t0) / 1000);
await worker.close();
await queue.close();
process.stdout.write(JSON.stringify({ version, added: n, addPerSec, drainPerSec }) + '\n');
