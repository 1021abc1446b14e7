/**
 * The writes every item change makes in PostgreSQL: the decided change of
 * one row (and its attempt records) and the notice that tells the other
 * hosts, sent with `pg_notify` inside the transaction (delivered only if it
 * commits).
 */
import { sql } from '../storage/kysely.js';
import type { ItemNotice, ItemWrite } from '../storage/shared-store.js';
import type { Transaction } from 'kysely';
import type { PgDatabase } from './pg-schema.js';

export const NOTIFY_CHANNEL = 'oj_queue';

/** Writes one item's decided change; a taken item is held by this host, any other by none. */
export async function writeItem(trx: Transaction<PgDatabase>, seq: number, w: ItemWrite, hostId: string): Promise<void> {
  if (w.remove) await trx.deleteFrom('queue_items').where('seq', '=', seq).execute();
  else if (w.set) {
    const set = { ...w.set, ...(w.set.status !== undefined ? { host: w.set.status === 'taken' ? hostId : null } : {}) };
    await trx.updateTable('queue_items').set(set).where('seq', '=', seq).execute();
  }
  for (const a of w.attempts) {
    if (a.type === 'start') {
      await trx
        .insertInto('queue_attempts')
        .values({ item_seq: seq, attempt: a.attempt, taken_at: a.at, taken_by: a.takenBy, worker: a.worker, host: hostId, ended_at: null, outcome: 'running', error: null })
        .execute();
    } else {
      await trx
        .updateTable('queue_attempts')
        .set({ outcome: a.outcome, error: a.error, ended_at: a.at })
        .where('item_seq', '=', seq)
        .where('attempt', '=', a.attempt)
        .where('outcome', '=', 'running')
        .execute();
    }
  }
}

/** Tells every host (delivered at commit, not at all on rollback). */
export async function notify(trx: Transaction<PgDatabase>, host: string, identity: string, n: ItemNotice): Promise<void> {
  const payload = JSON.stringify({ h: host, p: identity, q: n.queue, r: n.reason, w: n.worker, ...(n.takenFrom ? { f: n.takenFrom } : {}) });
  await sql`SELECT pg_notify(${NOTIFY_CHANNEL}, ${payload})`.execute(trx);
}

/** A notice as another host sent it, or null when the payload is not one. */
export function parseNotice(
  payload: string | undefined,
): { host: string; identity: string; queue: string; reason: ItemNotice['reason']; worker: string | null; takenFrom: string | null } | null {
  try {
    const o = JSON.parse(payload ?? '') as { h?: unknown; p?: unknown; q?: unknown; r?: unknown; w?: unknown; f?: unknown };
    if (typeof o.h !== 'string' || typeof o.p !== 'string' || typeof o.q !== 'string') return null;
    const reason = o.r === 'added' || o.r === 'released' || o.r === 'finished' ? o.r : 'added';
    return { host: o.h, identity: o.p, queue: o.q, reason, worker: typeof o.w === 'string' ? o.w : null, takenFrom: typeof o.f === 'string' ? o.f : null };
  } catch {
    return null;
  }
}
