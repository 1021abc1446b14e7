/**
 * Plugs the queues capability into the daemon: queues (items, visibility
 * timeouts, retries, dead letters, retention), workers and crons. Queue
 * items and cron runs settle inside the transaction that ends their
 * pipeline (the engine's terminal hook).
 */
import { CronScheduler } from '../crons/cron-scheduler.js';
import { registerCronHandlers, registerQueueHandlers, registerWorkerHandlers } from '../handlers/queue-handlers.js';
import { queueOverview } from '../handlers/queue-overview.js';
import { QueueService } from '../queues/queue-service.js';
import { WorkerManager } from '../queues/worker-manager.js';
import type { Capability, WiringContext } from './wiring.js';

export function wireQueues(ctx: WiringContext): Capability & { readonly queues: QueueService } {
  const shell = { stateDir: ctx.stateDir, logger: ctx.logger, shellRunner: ctx.shellRunner };
  const base = { storage: ctx.storage, shared: ctx.shared, events: ctx.events, engine: ctx.engine, projects: ctx.projects, logger: ctx.logger, shell, now: ctx.now };
  const queues = new QueueService(base);
  const workers = new WorkerManager({ ...base, queues });
  const crons = new CronScheduler({ ...base, tickHooks: () => ctx.cronTicks.list() });

  ctx.engine.onTerminal((record, status) => {
    queues.pipelineEnded(record, status);
    crons.pipelineEnded(record, status);
  });

  registerQueueHandlers(ctx.router, queues);
  registerWorkerHandlers(ctx.router, workers);
  registerCronHandlers(ctx.router, crons);

  return {
    queues,
    async start() {
      try {
        await queues.cancelUntaken();
        await queues.reconcile();
      } catch (err) {
        ctx.logger.error('queue items not reconciled at start', { error: String(err) });
      }
      queues.startSweeps();
      await workers.startAll();
      await crons.startAll();
    },
    stop() {
      workers.stopAll();
      crons.stopAll();
      queues.stop();
    },
    overview(project) {
      return queueOverview({ queues, workers, crons, projects: ctx.projects, now: ctx.now }, project);
    },
    async counts() {
      const c = await queues.items.countByStatus(null).catch(() => ({}) as Record<string, number>);
      return {
        'queue.items.pending': c.pending ?? 0,
        'queue.items.taken': c.taken ?? 0,
        'queue.items.dead': c.dead ?? 0,
        ...workers.counts(),
        ...crons.counts(),
      };
    },
  };
}
