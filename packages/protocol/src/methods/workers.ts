/** Workers: drain a queue through a handler pipeline, `concurrency` at a time. */
import { z } from 'zod';
import { method } from '../rpc.js';
import { once } from '../once.js';

/** A worker's persisted state: started workers take work (and start again with the daemon). */
export type WorkerStatus = 'started' | 'stopped';

export interface WorkerInfo {
  name: string;
  runbook: string | null;
  queue: string | null;
  handler: string | null;
  concurrency: number;
  /** started | stopped; `missing` when a started worker is no longer in the runbooks. */
  status: WorkerStatus | 'missing';
  /** Pipelines of this worker under way (holding items). */
  running: number;
  /** Items visible in its queue. */
  pending: number;
  idleAction: string | null;
  wakeOn: string[];
  changedAt: string | null;
  idleSince: string | null;
  lastWakeAt: string | null;
  /** Ids of the pipelines under way. */
  pipelines: string[];
}

const project = once(() => z.string().min(1));
const name = once(() => z.string().min(1).max(200));

export const List = method<{ workers: WorkerInfo[] }>()(
  'workers.list',
  () => z.object({ project: project() }).strict(),
  "The project's workers and their state.",
);

export const Show = method<{ worker: WorkerInfo }>()(
  'workers.show',
  () => z.object({ project: project(), name: name() }).strict(),
  'One worker.',
);

export const Start = method<{ worker: WorkerInfo; changed: boolean }>()(
  'workers.start',
  () => z.object({ project: project(), name: name() }).strict(),
  'Start a worker (persisted: it starts again with the daemon) and let it take work. In cluster mode it starts on every host serving the project, each within its own concurrency; refused with Unavailable while the cluster database cannot be reached.',
);

export const Stop = method<{ worker: WorkerInfo; changed: boolean }>()(
  'workers.stop',
  () => z.object({ project: project(), name: name() }).strict(),
  'Stop taking new items; pipelines under way finish and complete their items. In cluster mode on every host serving the project; refused with Unavailable while the cluster database cannot be reached.',
);

export const Restart = method<{ worker: WorkerInfo }>()(
  'workers.restart',
  () => z.object({ project: project(), name: name() }).strict(),
  'Stop, then start a worker (re-reading its definition).',
);

export const Wake = method<{ worker: WorkerInfo; started: boolean }>()(
  'workers.wake',
  () => z.object({ project: project(), name: name() }).strict(),
  'Wake a worker now (re-pulls a source queue) instead of at the end of its idle wait; a stopped worker is started (persisted, as by workers.start) and `started` is true.',
);

export const Healthy = method<{ healthy: boolean; problems: string[]; worker: WorkerInfo }>()(
  'workers.healthy',
  () => z.object({ project: project(), name: name() }).strict(),
  'Whether a worker is started, loads, can pull its source, and has no escalated pipelines.',
);
