/**
 * graphile-worker's figures on this machine, in a process of its own:
 * `n` no-op jobs added in one addJobs call, then drained by a runner at
 * concurrency `c` (jobs/s from the runner's start to the last job's
 * success). Its packages come from `prefix` (installed there by the bench,
 * never a dependency of oj). Prints {"version","added","addPerSec","drainPerSec"}.
 *   node graphile-drain.mjs <prefix> <postgres url> <n> <c>
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [prefix, url, nArg, cArg] = process.argv.slice(2);
const n = Number(nArg);
const concurrency = Number(cArg);
const load = createRequire(join(prefix, 'package.json'));
const name = 'graphile-worker';
const gw = load(name);
const version = load(`${name}/package.json`).version;
const silent = new gw.Logger(() => () => {});

const utils = await gw.makeWorkerUtils({ connectionString: url, logger: silent });
await utils.migrate();
const specs = Array.from({ length: n }, (_, i) => ({ identifier: 'noop', payload: { i } }));
let t0 = performance.now();
await utils.addJobs(specs);
const addPerSec = n / ((performance.now() - t0) / 1000);
await utils.release();

let done = 0;
let finished;
const all = new Promise((resolve) => (finished = resolve));
t0 = performance.now();
const runner = await gw.run({
  connectionString: url,
  concurrency,
  noHandleSignals: true,
  pollInterval: 1000,
  logger: silent,
  taskList: { noop: async () => {} },
});
runner.events.on('job:success', () => {
  if (++done === n) finished();
});
await all;
const drainPerSec = n / ((performance.now() - t0) / 1000);
await runner.stop();
process.stdout.write(JSON.stringify({ version, added: n, addPerSec, drainPerSec }) + '\n');
