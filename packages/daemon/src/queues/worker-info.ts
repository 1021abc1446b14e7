/** A worker as the protocol shows it, and what `oj worker healthy` checks. */
import type { WorkerMethods } from '@oj/protocol';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { Worker } from '../runbook/model.js';
import type { QueueService } from './queue-service.js';
import type { WorkerRow } from '../storage/worker-store.js';

export interface WorkerInfoDeps {
  projects: ProjectRegistry;
  queues: Pick<QueueService, 'items' | 'inFlight'>;
  engine: PipelineEngine;
}

function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

export async function toWorkerInfo(d: WorkerInfoDeps, project: string, name: string, w: Worker | undefined, row: WorkerRow | undefined): Promise<WorkerMethods.WorkerInfo> {
  const p = d.projects.peek(project);
  const q = w && p ? p.deref('queue', w.queue) : undefined;
  const held = await d.queues.items.takenByWorker(project, name);
  const started = row?.status === 'started';
  return {
    name,
    runbook: w?.file ?? null,
    queue: q?.name ?? null,
    handler: w ? w.handler.ref : null,
    concurrency: w?.concurrency ?? 0,
    status: !w && started ? 'missing' : started ? 'started' : 'stopped',
    running: await d.queues.inFlight(project, name),
    pending: q ? await d.queues.items.pendingCount(project, q.name) : 0,
    idleAction: w ? (w.idle_action.type === 'wait' ? `wait:${w.idle_action.duration.text}` : 'stop') : null,
    wakeOn: w?.wake_on ?? [],
    changedAt: iso(row?.changed_at),
    idleSince: iso(row?.idle_since),
    lastWakeAt: iso(row?.last_wake_at),
    pipelines: held.map((h) => h.taken_by).filter((x): x is string => x !== null).map((key) => d.engine.store.handleOf(key)),
  };
}

/** What keeps a worker from doing its work, in words. */
export async function workerProblems(d: WorkerInfoDeps, project: string, info: WorkerMethods.WorkerInfo, w: Worker | undefined): Promise<string[]> {
  const problems: string[] = [];
  if (info.status === 'missing') problems.push(`worker ${info.name} is started but no longer defined in the runbooks`);
  else if (info.status !== 'started') problems.push(`worker ${info.name} is stopped`);
  const errors = d.projects.errors(project);
  if (errors.length) problems.push(`runbook problems (oj status lists them): ${errors[0]}`);
  if (w) {
    const q = d.projects.peek(project)?.deref('queue', w.queue);
    if (q?.source) {
      const s = await d.queues.items.source(project, q.name);
      if (s.last_error) problems.push(`its queue's source fails: ${s.last_error}`);
    }
  }
  for (const id of info.pipelines) {
    const p = d.engine.store.get(id);
    if (p?.state.status === 'escalated') problems.push(`pipeline ${id} is escalated: ${p.state.error ?? 'needs a human'}`);
  }
  return problems;
}
