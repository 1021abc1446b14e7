/** queues.*, workers.* and crons.* RPC methods. */
import { CronMethods, QueueMethods, WorkerMethods } from '@oj/protocol';
import type { RpcRouter } from '../rpc/rpc-router.js';
import type { CronScheduler } from '../crons/cron-scheduler.js';
import { toItemInfo } from '../queues/item-info.js';
import type { QueueService } from '../queues/queue-service.js';
import type { WorkerManager } from '../queues/worker-manager.js';

export function registerQueueHandlers(router: RpcRouter, queues: QueueService): void {
  router.handle(QueueMethods.Add, (p) => queues.add(p.project, p.queue, p.items));

  router.handle(QueueMethods.Queues, (p) => ({ queues: queues.summary(p.project) }));

  router.handle(QueueMethods.List, async (p) => {
    const { rows, total } = await queues.list(p.project, { queue: p.queue, statuses: p.status, limit: p.limit, pull: p.pull });
    return { items: rows.map(toItemInfo), total };
  });

  router.handle(QueueMethods.Show, (p) => {
    const row = queues.find(p.project, p.queue, p.id);
    return { item: toItemInfo(row), attempts: queues.attempts(row) };
  });

  router.handle(QueueMethods.Attempts, (p) => {
    const row = queues.find(p.project, p.queue, p.id);
    return { item: toItemInfo(row), attempts: queues.attempts(row) };
  });

  router.handle(QueueMethods.Take, async (p) => {
    const row = await queues.take(p.project, p.queue, p.by);
    return { item: row ? toItemInfo(row) : null };
  });

  router.handle(QueueMethods.Complete, (p) => ({ item: toItemInfo(queues.complete(p.project, p.queue, p.id)) }));

  router.handle(QueueMethods.Fail, (p) => ({ item: toItemInfo(queues.fail(p.project, p.queue, p.id, p.error)) }));

  router.handle(QueueMethods.Requeue, (p) => ({ item: toItemInfo(queues.requeue(p.project, p.queue, p.id)) }));
  router.handle(QueueMethods.Bury, (p) => ({ item: toItemInfo(queues.bury(p.project, p.queue, p.id, p.reason)) }));

  router.handle(QueueMethods.Remove, (p) => ({ item: toItemInfo(queues.remove(p.project, p.queue, p.id)) }));

  router.handle(QueueMethods.Dead, (p) => ({ items: queues.dead(p.project, p.queue).map(toItemInfo) }));

  router.handle(QueueMethods.Retry, (p) => ({
    items: queues.retry(p.project, p.queue, p.id, p.all ?? false).map(toItemInfo),
  }));

  router.handle(QueueMethods.Pull, (p) => queues.pull(p.project, p.queue));
}

export function registerWorkerHandlers(router: RpcRouter, workers: WorkerManager): void {
  router.handle(WorkerMethods.List, (p) => ({ workers: workers.list(p.project) }));
  router.handle(WorkerMethods.Show, (p) => ({ worker: workers.info(p.project, p.name) }));
  router.handle(WorkerMethods.Start, (p) => workers.start(p.project, p.name));
  router.handle(WorkerMethods.Stop, (p) => workers.stop(p.project, p.name));
  router.handle(WorkerMethods.Restart, (p) => ({ worker: workers.restart(p.project, p.name) }));
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
