/**
 * The cost of one queue transition in the shared store, on SQLite (ojd on
 * its own) or PostgreSQL (cluster mode): load the item under a row lock,
 * step the item lifecycle (core/queue), write it, one transaction each, in a
 * process of its own, through the daemon's own classes. Times `n` takes (the
 * next pending item, `FOR UPDATE SKIP LOCKED` on PostgreSQL) and `n`
 * completes, one after another. Prints {"takeMs", "completeMs"} (per transition).
 *   node queue-transition.mjs <state dir> <n> [postgres URL]
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = (p) => import(pathToFileURL(join(import.meta.dirname, '..', '..', '..', 'packages', 'daemon', 'dist', p)).href);
const [{ Storage }, { SqliteSharedStore }, { stepItem }, { changedColumns, toQueueItem }] = await Promise.all([
  dist('storage/storage.js'),
  dist('storage/sqlite-shared-store.js'),
  dist('core/queue/item-machine.js'),
  dist('storage/queue-item-row.js'),
]);

const [stateDir, nArg, url] = process.argv.slice(2);
const n = Number(nArg);
const storage = Storage.open(join(stateDir, 'state.db'), Date.now);
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
let store;
if (url) {
  const [{ PgSharedStore }, { SAME_NAMES }] = await Promise.all([dist('cluster/pg-shared-store.js'), dist('cluster/project-names.js')]);
  store = await PgSharedStore.open({ url, hostId: 'bench', storage, names: SAME_NAMES, logger: quiet });
} else {
  store = new SqliteSharedStore(storage, 'bench');
}

const SETTINGS = { maxRetries: 0, visibilityTimeout: { text: '30m', ms: 1_800_000 }, retention: { text: '7d', ms: 7 * 86_400_000 }, onExhaust: [] };
const decide = (event) => (row) => {
  if (!row) return { write: null, result: null };
  const t = stepItem(toQueueItem(row), SETTINGS, event, Date.now());
  return { write: { set: changedColumns(row, t.state), remove: t.removed, attempts: t.attempts }, result: row };
};
const P = '/bench/project';
const entries = Array.from({ length: n }, (_, i) => ({ id: `i${i}`, data: { i } }));
await store.queues.add(P, 'q', entries, Date.now(), () => {});
const next = { next: { project: P, queue: 'q', order: { text: '', terms: [] } } };

let t0 = performance.now();
const taken = [];
for (let i = 0; i < n; i++) taken.push(await store.queues.change(next, decide({ type: 'take', by: `t${i}`, worker: null })));
const takeMs = (performance.now() - t0) / n;
t0 = performance.now();
for (const row of taken) await store.queues.change({ seq: row.seq }, decide({ type: 'complete' }));
const completeMs = (performance.now() - t0) / n;

await store.close();
storage.close();
process.stdout.write(JSON.stringify({ takeMs, completeMs }) + '\n');
