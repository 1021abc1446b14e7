/** queues.*, workers.* and crons.* RPC methods. */
import { CronMethods, QueueMethods, WorkerMethods } from '@oj/protocol';
import type { RpcRouter } from '../rpc/rpc-router.js';
import type { CronScheduler } from '../crons/cron-scheduler.js';
import { toItemInfo } from '../queues/item-info.js';
import type { QueueItemRow } from '../storage/queue-store.js';
import type { QueueService } from '../queues/queue-service.js';
import type { WorkerManager } from '../queues/worker-manager.js';

export function registerQueueHandlers(router: RpcRouter, queues: QueueService): void {
  router.handle(QueueMethods.Add, (p) => queues.add(p.project, p.queue, p.items));

  router.handle(QueueMethods.Queues, async (p) => ({ queues: await queues.summary(p.project) }));

  router.handle(QueueMethods.List, async (p) => {
    const { rows, total } = await queues.list(p.project, { queue: p.queue, statuses: p.status, limit: p.limit, pull: p.pull });
    return { items: rows.map(toItemInfo), total };
  });

  const show = async (p: { project: string; queue: string; id: string }) => {
    const row = await queues.find(p.project, p.queue, p.id);
    return { item: toItemInfo(row), attempts: await queues.attempts(row) };
  };
  router.handle(QueueMethods.Show, show);
  router.handle(QueueMethods.Attempts, show);

  router.handle(QueueMethods.Take, async (p) => {
    const items = (await queues.take(p.project, p.queue, p.by, p.count ?? 1)).map(toItemInfo);
    return { item: items[0] ?? null, items };
  });

  router.handle(QueueMethods.Complete, async (p) => batch(await queues.complete(p.project, p.queue, idsOf(p))));

  router.handle(QueueMethods.Fail, async (p) => batch(await queues.fail(p.project, p.queue, idsOf(p), p.error)));

  router.handle(QueueMethods.Requeue, async (p) => ({ item: toItemInfo(await queues.requeue(p.project, p.queue, p.id)) }));
  router.handle(QueueMethods.Bury, async (p) => ({ item: toItemInfo(await queues.bury(p.project, p.queue, p.id, p.reason)) }));

  router.handle(QueueMethods.Remove, async (p) => ({ item: toItemInfo(await queues.remove(p.project, p.queue, p.id)) }));

  router.handle(QueueMethods.Dead, async (p) => ({ items: (await queues.dead(p.project, p.queue)).map(toItemInfo) }));

  router.handle(QueueMethods.Retry, async (p) => ({
    items: (await queues.retry(p.project, p.queue, p.id, p.all ?? false)).map(toItemInfo),
  }));

  router.handle(QueueMethods.Pull, (p) => queues.pull(p.project, p.queue));
}

/** The ids a call names (`id` or `ids`: the params schema lets through exactly one). */
function idsOf(p: { id?: string | undefined; ids?: string[] | undefined }): string[] {
  return p.ids ?? (p.id !== undefined ? [p.id] : []);
}

/** A batch call's answer: every item, and the first as `item` (the only one for a call with `id`). */
function batch(rows: QueueItemRow[]): { item: QueueMethods.QueueItemInfo; items: QueueMethods.QueueItemInfo[] } {
  const items = rows.map(toItemInfo);
  return { item: items[0]!, items };
}

export function registerWorkerHandlers(router: RpcRouter, workers: WorkerManager): void {
  router.handle(WorkerMethods.List, async (p) => ({ workers: await workers.list(p.project) }));
  router.handle(WorkerMethods.Show, async (p) => ({ worker: await workers.info(p.project, p.name) }));
  router.handle(WorkerMethods.Start, (p) => workers.start(p.project, p.name));
  router.handle(WorkerMethods.Stop, (p) => workers.stop(p.project, p.name));
  router.handle(WorkerMethods.Restart, async (p) => ({ worker: await workers.restart(p.project, p.name) }));
  router.handle(WorkerMethods.Wake, (p) => workers.wake(p.project, p.name));
  router.handle(WorkerMethods.Healthy, (p) => workers.healthy(p.project, p.name));
}

export function registerCronHandlers(router: RpcRouter, crons: CronScheduler): void {
  router.handle(CronMethods.List, (p) => ({ crons: crons.list(p.project) }));
  router.handle(CronMethods.Enable, (p) => crons.enable(p.project, p.name));
  router.handle(CronMethods.Disable, (p) => crons.disable(p.project, p.name));
  router.handle(CronMethods.Run, (p) => crons.runNow(p.project, p.name));
  router.handle(CronMethods.Next, (p) => crons.next(p.project, p.name, p.count ?? 5));
}
