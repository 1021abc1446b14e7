/** The queues, workers and crons sections of `oj status`. */
import type { OverviewSection } from '@oj/protocol';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { CronScheduler } from '../crons/cron-scheduler.js';
import type { QueueService } from '../queues/queue-service.js';
import type { WorkerManager } from '../queues/worker-manager.js';
import { relative } from './relative-time.js';

export async function queueOverview(
  d: { queues: QueueService; workers: WorkerManager; crons: CronScheduler; projects: ProjectRegistry; now(): number },
  project: string | undefined,
): Promise<Record<string, OverviewSection>> {
  // All projects: those with queue, worker or cron state, and every loaded one (its crons, enabled or not).
  const roots = project !== undefined ? [project] : [...new Set([...(await projectsWithState(d)), ...d.projects.roots()])].sort();
  const many = project === undefined;
  const queueRows: OverviewSection['rows'] = [];
  const workerRows: OverviewSection['rows'] = [];
  const cronRows: OverviewSection['rows'] = [];
  for (const root of roots) {
    if (!d.projects.peek(root)) continue;
    const where: Record<string, string> = many ? { project: root } : {};
    try {
      for (const q of await d.queues.summary(root)) {
        const c = q.counts;
        if (!c.pending && !c.taken && !c.dead && !q.workers.length) continue;
        queueRows.push({ ...where, queue: q.name, pending: c.pending, taken: c.taken, dead: c.dead, completed: c.completed });
      }
      for (const w of await d.workers.list(root)) {
        if (w.status === 'stopped' && !w.running && !w.pending) continue;
        workerRows.push({
          ...where,
          worker: w.name,
          status: w.status,
          running: `${w.running}/${w.concurrency}`,
          queue: w.queue,
          pending: w.pending,
          state: w.status !== 'started' ? null : w.idleSince ? `idle ${relative(Date.parse(w.idleSince), d.now()).replace(/ ago$/, '')}` : 'busy',
        });
      }
      // Every cron, disabled ones too, as `oj cron list` shows them.
      for (const c of d.crons.list(root)) {
        cronRows.push({
          ...where,
          cron: c.name,
          status: c.enabled ? 'enabled' : 'disabled',
          schedule: c.schedule ?? (c.interval ? `every ${c.interval}` : null),
          next: c.nextDueAt ? relative(Date.parse(c.nextDueAt), d.now()) : null,
          last: c.lastRunAt ? `${c.lastOutcome ?? ''} ${relative(Date.parse(c.lastRunAt), d.now())}`.trim() : null,
        });
      }
    } catch {
      // a project whose runbooks never loaded has nothing to show here
    }
  }
  const out: Record<string, OverviewSection> = {};
  out.queues = { title: 'Queues', rows: queueRows };
  out.workers = { title: 'Workers', rows: workerRows };
  out.crons = { title: 'Crons', rows: cronRows };
  return out;
}

async function projectsWithState(d: { queues: QueueService; workers: WorkerManager; crons: CronScheduler }): Promise<string[]> {
  const roots = new Set<string>();
  for (const w of d.workers.store.list()) roots.add(w.project);
  for (const c of d.crons.store.list()) roots.add(c.project);
  for (const p of await d.queues.items.projectsWithLiveItems()) roots.add(p);
  return [...roots].sort();
}
