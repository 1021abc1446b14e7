/** A lock's and a semaphore's state as `oj lock show` / `oj semaphore status` (and `oj status`) show it. */
import type { LockMethods, OverviewSection, SemaphoreMethods } from '@oj/protocol';
import type { ResourceCoordinator } from '../coordination/resource-coordinator.js';
import type { ResourceRequests } from '../coordination/resource-requests.js';
import type { ResourceKey } from '../storage/resource-store.js';
import { relative } from './relative-time.js';

export interface CoordinationInfo {
  lockInfo(key: ResourceKey): Promise<LockMethods.LockInfo>;
  semaphoreInfo(key: ResourceKey): Promise<SemaphoreMethods.SemaphoreInfo>;
}

export function coordinationInfo(coord: ResourceCoordinator, requests: ResourceRequests): CoordinationInfo {
  return {
    async lockInfo(key) {
      const policy = coord.policyOf(key);
      const holder = (await requests.holds(key))[0];
      const info = holder ? coord.holderInfo(holder) : null;
      return {
        id: key.resource,
        name: policy.name,
        project: key.project,
        defined: policy.defined,
        heartbeatMs: policy.heartbeatMs,
        timeoutMs: policy.timeoutMs,
        onStale: policy.onStale.map((s) => s.text),
        held: info !== null,
        holder: info,
        stale: info?.stale ?? false,
        waiters: await coord.waiterInfos(key),
      };
    },
    async semaphoreInfo(key) {
      const policy = coord.policyOf(key);
      const holds = await requests.holds(key);
      return {
        id: key.resource,
        name: policy.name,
        project: key.project,
        defined: policy.defined,
        max: policy.max,
        used: holds.reduce((n, h) => n + h.weight, 0),
        slotHeartbeatMs: policy.heartbeatMs,
        slotTimeoutMs: policy.timeoutMs,
        onOrphan: policy.onStale.map((s) => s.text),
        onOrphanWork: policy.onOrphanWork.map((s) => s.text),
        holders: holds.map((h) => coord.holderInfo(h)),
        waiters: await coord.waiterInfos(key),
      };
    },
  };
}

/**
 * The locks and semaphores sections of `oj status`: those held or waited
 * for (an idle one is in `oj lock list` / `oj semaphore list`). `project`
 * undefined: every project, each row naming its project.
 */
export async function coordinationOverview(
  info: CoordinationInfo,
  requests: ResourceRequests,
  project: string | undefined,
  now: () => number,
): Promise<Record<string, OverviewSection>> {
  const where = (root: string): Record<string, string> => (project === undefined ? { project: root } : {});
  const holderText = (h: LockMethods.HolderInfo) => (h.phase ? `${h.holder} (${h.phase})` : h.holder) + (h.host ? ` on ${h.host}` : '');
  const lockRows: OverviewSection['rows'] = [];
  for (const key of await requests.keys('lock', project)) {
    const l = await info.lockInfo(key);
    if (!l.held && l.waiters.length === 0) continue;
    lockRows.push({
      ...where(l.project),
      lock: l.name,
      holder: l.holder ? holderText(l.holder) : null,
      since: l.holder ? relative(Date.parse(l.holder.acquiredAt), now()) : null,
      state: l.holder?.staleReason ? `stale: ${l.holder.staleReason}` : l.held ? 'held' : 'free',
      waiting: l.waiters.length,
    });
  }
  const semaphoreRows: OverviewSection['rows'] = [];
  for (const key of await requests.keys('semaphore', project)) {
    const s = await info.semaphoreInfo(key);
    if (s.used === 0 && s.waiters.length === 0) continue;
    const stale = s.holders.filter((h) => h.stale).length;
    semaphoreRows.push({
      ...where(s.project),
      semaphore: s.name,
      used: `${s.used}/${s.max}`,
      holders: s.holders.map(holderText).join(', '),
      state: stale ? `${stale} stale` : 'ok',
      waiting: s.waiters.length,
    });
  }
  return { locks: { title: 'Locks', rows: lockRows }, semaphores: { title: 'Semaphores', rows: semaphoreRows } };
}
