/** Retention: finished and dead items are deleted once their `expires_at` has passed, one `queue:pruned` event per queue. */
import type { Logger } from 'winston';
import type { EventLog } from '../events/event-log.js';
import type { SharedQueues } from '../storage/shared-store.js';
import type { Storage } from '../storage/storage.js';

export interface RetentionDeps {
  storage: Storage;
  items: SharedQueues;
  events: EventLog;
  logger: Logger;
  now(): number;
}

/** Deletes what has expired; returns how many items went and the next expiry. */
export async function pruneExpired(d: RetentionDeps): Promise<{ pruned: number; next: number | null }> {
  let pruned = 0;
  try {
    const gone = await d.items.prune(d.now(), (gone) => {
      const byQueue = new Map<string, { project: string; queue: string; dead: number; finished: number }>();
      for (const g of gone) {
        const key = `${g.project}\0${g.queue}`;
        const e = byQueue.get(key) ?? { project: g.project, queue: g.queue, dead: 0, finished: 0 };
        if (g.status === 'dead') e.dead++;
        else e.finished++;
        byQueue.set(key, e);
      }
      for (const e of byQueue.values()) {
        d.events.emit({ name: 'queue:pruned', subject: e.queue, project: e.project, data: { queue: e.queue, dead: e.dead, finished: e.finished } });
      }
    });
    pruned = gone.length;
    return { pruned, next: await d.items.nextExpiry() };
  } catch (err) {
    d.logger.error('queue retention sweep failed', { error: String(err) });
    // The shared database may be away: look again in a minute.
    return { pruned, next: d.now() + 60_000 };
  }
}
