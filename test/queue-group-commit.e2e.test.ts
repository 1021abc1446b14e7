/**
 * The group-commit path under kill -9: consumers taking and completing items
 * over raw JSON-RPC at once, so that their changes share transactions and
 * fsyncs (Storage.writeSoon, GroupCommit). Whatever moment the kill comes at,
 * every take and every complete that was answered is on disk, no item was
 * handed to two consumers, and the restarted daemon finishes the rest.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueMethods } from '@oj/protocol';
import { Rpc, checkDb, killHard, problemLines, prng, seedFrom, startOjd, withDb, type Ojd } from './helpers/crash-kit.js';
import { TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';

let t: TestEnv;
let daemons: Ojd[] = [];
let clients: Rpc[] = [];

beforeEach(() => {
  t = new TestEnv();
  daemons = [];
  clients = [];
});
afterEach(async () => {
  for (const c of clients) c.close();
  await t.cleanup();
  for (const d of daemons) await killHard(d);
});

async function connect(): Promise<Rpc> {
  const c = await Rpc.connect(t.socket);
  clients.push(c);
  return c;
}

const CONSUMERS = 8;
const ITEMS = 3000;

describe('kill -9 while consumers take and complete items at once over RPC', () => {
  it('every answered take and complete is on disk; no item went to two consumers; the rest drains after the restart', async () => {
    const seed = seedFrom('OJ_CRASH_SEED');
    const rand = prng(seed);
    // A long visibility timeout: an item taken before the kill stays with its taker.
    const root = makeProject(t, 'proj', { q: '[queue.work]\nvisibility_timeout = "1h"\n' });
    const ojd = await startOjd(t);
    daemons.push(ojd);
    const admin = await connect();
    await admin.call(QueueMethods.Add, { project: root, queue: 'work', items: Array.from({ length: ITEMS }, (_, i) => ({ id: `i${i}` })) });

    const taken = new Map<string, { by: string; attempt: number }>();
    const completed = new Set<string>();
    const twice: string[] = [];
    const killAfter = rand.int(150, 600);
    const kill: { done: Promise<void> | null } = { done: null };
    const consumer = async (name: string) => {
      const c = await connect();
      for (;;) {
        let item;
        try {
          item = (await c.call(QueueMethods.Take, { project: root, queue: 'work', by: name })).item;
        } catch {
          return; // not answered: the daemon is gone, no promise was made
        }
        if (!item) return;
        if (taken.has(item.id)) twice.push(item.id);
        taken.set(item.id, { by: name, attempt: item.attempts });
        try {
          await c.call(QueueMethods.Complete, { project: root, queue: 'work', id: item.id });
        } catch {
          return;
        }
        completed.add(item.id);
        if (completed.size >= killAfter) kill.done ??= killHard(ojd);
      }
    };
    await Promise.all(Array.from({ length: CONSUMERS }, (_, i) => consumer(`c${i}`)));
    expect(kill.done, `the kill came (seed ${seed})`).not.toBeNull();
    await kill.done;
    expect(twice, `seed ${seed}`).toEqual([]);

    // Answered means on disk: read the file the killed daemon left.
    withDb(join(t.stateDir, 'oj.db'), (d) => {
      const rows = new Map(
        (d.prepare(`SELECT id, status, taken_by, attempts FROM queue_items WHERE queue = 'work'`).all() as { id: string; status: string; taken_by: string | null; attempts: number }[]).map((r) => [r.id, r]),
      );
      for (const id of completed) expect(rows.get(id)?.status, `answered complete of ${id} (seed ${seed})`).toBe('completed');
      for (const [id, took] of taken) {
        const row = rows.get(id);
        if (completed.has(id)) continue;
        // Its complete may have committed without its answer getting out; its take did commit.
        expect(['taken', 'completed'], `answered take of ${id} (seed ${seed})`).toContain(row?.status);
        expect(row?.attempts, `attempt of ${id}`).toBe(took.attempt);
        if (row?.status === 'taken') expect(row.taken_by).toBe(took.by);
      }
      // Nothing was taken twice: one attempt per item.
      const multi = d.prepare(`SELECT item_seq, COUNT(*) AS n FROM queue_attempts GROUP BY item_seq HAVING n > 1`).all();
      expect(multi, `seed ${seed}`).toEqual([]);
    });
    expect(problemLines(checkDb(join(t.stateDir, 'oj.db')), ['error'])).toEqual([]);

    // The restarted daemon serves the rest. What the killed consumers held (answered or not) is still
    // theirs, for the hour of its visibility timeout: here they complete it.
    daemons.push(await startOjd(t));
    const after = await connect();
    const held = (await after.call(QueueMethods.List, { project: root, queue: 'work', status: ['taken'], limit: ITEMS })).items;
    for (const item of held) await after.call(QueueMethods.Complete, { project: root, queue: 'work', id: item.id });
    for (;;) {
      const { item } = await after.call(QueueMethods.Take, { project: root, queue: 'work', by: 'after' });
      if (!item) break;
      await after.call(QueueMethods.Complete, { project: root, queue: 'work', id: item.id });
    }
    await waitFor('every item completed', async () => {
      const { queues } = await after.call(QueueMethods.Queues, { project: root });
      const counts = queues.find((q) => q.name === 'work')?.counts;
      return counts?.completed === ITEMS ? counts : null;
    });
  }, 180_000);
});
