/**
 * Semaphores: at most `max` units held at once (`[semaphore.x]`). A phase
 * with `semaphore = "x"` holds one unit; external holders may take several
 * (`weight`) and keep them alive with `semaphores.heartbeat`.
 */
import { z } from 'zod';
import { method } from '../rpc.js';
import type { HolderInfo, WaiterInfo } from './locks.js';
import { acquireParams, holderParams, listParams, resourceParams } from './resource-params.js';

export interface SemaphoreInfo {
  /** Qualified id (`bugfix.semaphore.agents`): every semaphore command accepts it. */
  id: string;
  name: string;
  project: string;
  defined: boolean;
  max: number;
  /** Units held (sum of the holders' weights). */
  used: number;
  slotHeartbeatMs: number;
  slotTimeoutMs: number | null;
  onOrphan: string[];
  onOrphanWork: string[];
  holders: HolderInfo[];
  waiters: WaiterInfo[];
}

export const List = method<{ semaphores: SemaphoreInfo[] }>()(
  'semaphores.list',
  () => listParams(),
  "The semaphores a project defines (or every project's semaphores that have state), with usage.",
);

export const Status = method<{ semaphore: SemaphoreInfo }>()(
  'semaphores.status',
  () => resourceParams(),
  'One semaphore: units used of max, holders with heartbeats, waiters in arrival order.',
);

export const Acquire = method<{ acquired: boolean; semaphore: SemaphoreInfo }>()(
  'semaphores.acquire',
  () => acquireParams({ weight: z.number().int().min(1).optional() }),
  'Take `weight` units (default 1) for an external holder; first come, first served. A holder that already ' +
    'holds units keeps them (counts as a heartbeat). Without `wait`, acquired = false when they do not fit now.',
);

export const Release = method<{ released: boolean; semaphore: SemaphoreInfo }>()(
  'semaphores.release',
  () => holderParams(),
  "Release a holder's units (or leave the line); waiters that now fit get theirs.",
);

export const Heartbeat = method<{ semaphore: SemaphoreInfo }>()(
  'semaphores.heartbeat',
  () => holderParams(),
  'Tell the daemon an external holder is alive. Fails (illegal_state) when `holder` holds no units.',
);
