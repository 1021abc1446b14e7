/** locks.* and semaphores.* methods: names resolved and requests made by coordination/resource-requests.ts, answers mapped here. */
import { LockMethods, SemaphoreMethods } from '@oj/protocol';
import type { ResourceCoordinator } from '../coordination/resource-coordinator.js';
import type { ResourceRequests } from '../coordination/resource-requests.js';
import type { RpcRouter } from '../rpc/rpc-router.js';
import type { ResourceKey } from '../storage/resource-store.js';

export interface CoordinationHandlerDeps {
  coordinator: ResourceCoordinator;
  requests: ResourceRequests;
}

export function registerCoordinationHandlers(router: RpcRouter, d: CoordinationHandlerDeps): void {
  const { coordinator: coord, requests } = d;

  const lockInfo = (key: ResourceKey): LockMethods.LockInfo => {
    const policy = coord.policyOf(key);
    const holder = requests.holds(key)[0];
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
      waiters: coord.waiterInfos(key),
    };
  };

  const semaphoreInfo = (key: ResourceKey): SemaphoreMethods.SemaphoreInfo => {
    const policy = coord.policyOf(key);
    const holds = requests.holds(key);
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
      waiters: coord.waiterInfos(key),
    };
  };

  const lock = (p: { project: string; name: string }) => requests.resolve('lock', p.project, p.name);
  const semaphore = (p: { project: string; name: string }) => requests.resolve('semaphore', p.project, p.name);

  // ---- locks

  router.handle(LockMethods.List, (p) => ({ locks: requests.keys('lock', p?.project).map(lockInfo) }));

  router.handle(LockMethods.Show, (p) => ({ lock: lockInfo(lock(p)) }));

  router.handle(LockMethods.Acquire, async (p, ctx) => {
    const key = lock(p);
    const acquired = await requests.acquire(key, p, ctx);
    return { acquired, lock: lockInfo(key) };
  });

  router.handle(LockMethods.Release, (p) => {
    const key = lock(p);
    const released = coord.release(key, p.holder, 'released by its holder');
    return { released, lock: lockInfo(key) };
  });

  router.handle(LockMethods.Heartbeat, (p) => {
    const key = lock(p);
    coord.heartbeat(key, p.holder);
    return { lock: lockInfo(key) };
  });

  router.handle(LockMethods.ForceRelease, (p) => {
    const key = lock(p);
    const { released, previous } = requests.forceRelease(key, p.reason ?? 'force-released by a user');
    return { released, previous, lock: lockInfo(key) };
  });

  router.handle(LockMethods.IsStale, (p) => {
    const info = lockInfo(lock(p));
    return { stale: info.stale, reason: info.holder?.staleReason ?? null, lock: info };
  });

  // ---- semaphores

  router.handle(SemaphoreMethods.List, (p) => ({ semaphores: requests.keys('semaphore', p?.project).map(semaphoreInfo) }));

  router.handle(SemaphoreMethods.Status, (p) => ({ semaphore: semaphoreInfo(semaphore(p)) }));

  router.handle(SemaphoreMethods.Acquire, async (p, ctx) => {
    const key = semaphore(p);
    const acquired = await requests.acquire(key, p, ctx);
    return { acquired, semaphore: semaphoreInfo(key) };
  });

  router.handle(SemaphoreMethods.Release, (p) => {
    const key = semaphore(p);
    const released = coord.release(key, p.holder, 'released by its holder');
    return { released, semaphore: semaphoreInfo(key) };
  });

  router.handle(SemaphoreMethods.Heartbeat, (p) => {
    const key = semaphore(p);
    coord.heartbeat(key, p.holder);
    return { semaphore: semaphoreInfo(key) };
  });
}
