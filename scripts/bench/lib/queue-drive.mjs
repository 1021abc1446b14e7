/**
 * What the queue bench does to a daemon: external consumers taking and
 * completing items over raw JSON-RPC, and timing a worker's drain.
 */
import { BenchClient, waitFor } from './rpc-client.mjs';
import { msSince, now } from './stats.mjs';

/**
 * `clients` connections, each a consumer that takes items and completes them,
 * one call at a time, until the queue is empty or `budgetMs` has passed:
 * one item per take and per complete, or with `batch` up to that many items
 * per take (`count`) and the whole batch completed in one call (`ids`).
 * Resolves with items completed and the ms taken.
 */
export async function takeAndComplete(socket, project, queue, { clients, budgetMs, batch = 0 }) {
  const conns = await Promise.all(Array.from({ length: clients }, () => BenchClient.connect(socket)));
  let completed = 0;
  const t0 = now();
  try {
    await Promise.all(
      conns.map(async (c) => {
        while (msSince(t0) < budgetMs) {
          if (batch) {
            const { items } = await c.call('queues.take', { project, queue, by: 'bench', count: batch });
            if (!items.length) return;
            await c.call('queues.complete', { project, queue, ids: items.map((i) => i.id) });
            completed += items.length;
            continue;
          }
          const { item } = await c.call('queues.take', { project, queue, by: 'bench' });
          if (!item) return;
          await c.call('queues.complete', { project, queue, id: item.id });
          completed++;
        }
      }),
    );
  } finally {
    for (const c of conns) c.close();
  }
  return { completed, ms: msSince(t0) };
}

/** Starts `worker` and waits until `items` of `queue` are completed or `budgetMs` has passed; resolves with items completed and the ms taken. */
export async function drain(rpc, project, queue, worker, items, budgetMs) {
  const t0 = now();
  await rpc.call('workers.start', { project, name: worker });
  let completed = 0;
  let ms = 0;
  await waitFor(
    `queue ${queue} to drain`,
    async () => {
      const { queues } = await rpc.call('queues.queues', { project });
      const q = queues.find((x) => x.name === queue);
      if (q.counts.dead > 0) throw new Error(`${q.counts.dead} items died`);
      completed = q.counts.completed ?? 0;
      ms = msSince(t0);
      return completed >= items || ms >= budgetMs;
    },
    600_000,
    50,
  );
  await rpc.call('workers.stop', { project, name: worker });
  return { completed, ms };
}

/** "10,000 items" or "3,277 of 10,000 items (time cap)". */
export function drainedText(completed, items) {
  const fmt = (n) => n.toLocaleString('en');
  return completed >= items ? `${fmt(items)} items` : `${fmt(completed)} of ${fmt(items)} items (time cap)`;
}
