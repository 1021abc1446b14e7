/** locks.* and semaphores.* methods: names resolved and requests made by coordination/resource-requests.ts, answers mapped here. */
import { LockMethods, SemaphoreMethods } from '@oj/protocol';
import type { ResourceCoordinator } from '../coordination/resource-coordinator.js';
import type { ResourceRequests } from '../coordination/resource-requests.js';
import type { RpcRouter } from '../rpc/rpc-router.js';
import type { ResourceKey } from '../storage/resource-store.js';
import { coordinationInfo } from './coordination-info.js';

export interface CoordinationHandlerDeps {
  coordinator: ResourceCoordinator;
  requests: ResourceRequests;
}

export function registerCoordinationHandlers(router: RpcRouter, d: CoordinationHandlerDeps): void {
  const { coordinator: coord, requests } = d;

  const { lockInfo, semaphoreInfo } = coordinationInfo(coord, requests);

  const lock = (p: { project: string; name: string }) => requests.resolve('lock', p.project, p.name);
  const semaphore = (p: { project: string; name: string }) => requests.resolve('semaphore', p.project, p.name);
  const all = <T>(keys: ResourceKey[], info: (k: ResourceKey) => Promise<T>): Promise<T[]> => Promise.all(keys.map(info));

  // ---- locks

  router.handle(LockMethods.List, async (p) => ({ locks: await all(await requests.keys('lock', p?.project), lockInfo) }));

  router.handle(LockMethods.Show, async (p) => ({ lock: await lockInfo(await lock(p)) }));

  router.handle(LockMethods.Acquire, async (p, ctx) => {
    const key = await lock(p);
    const acquired = await requests.acquire(key, p, ctx);
    return { acquired, lock: await lockInfo(key) };
  });

  router.handle(LockMethods.Release, async (p) => {
    const key = await lock(p);
    const released = await coord.release(key, p.holder, 'released by its holder');
    return { released, lock: await lockInfo(key) };
  });

  router.handle(LockMethods.Heartbeat, async (p) => {
    const key = await lock(p);
    await coord.heartbeat(key, p.holder);
    return { lock: await lockInfo(key) };
  });

  router.handle(LockMethods.ForceRelease, async (p) => {
    const key = await lock(p);
    const { released, previous } = await requests.forceRelease(key, p.reason ?? 'force-released by a user');
    return { released, previous, lock: await lockInfo(key) };
  });

  router.handle(LockMethods.IsStale, async (p) => {
    const info = await lockInfo(await lock(p));
    return { stale: info.stale, reason: info.holder?.staleReason ?? null, lock: info };
  });

  // ---- semaphores

  router.handle(SemaphoreMethods.List, async (p) => ({ semaphores: await all(await requests.keys('semaphore', p?.project), semaphoreInfo) }));

  router.handle(SemaphoreMethods.Status, async (p) => ({ semaphore: await semaphoreInfo(await semaphore(p)) }));

  router.handle(SemaphoreMethods.Acquire, async (p, ctx) => {
    const key = await semaphore(p);
    const acquired = await requests.acquire(key, p, ctx);
    return { acquired, semaphore: await semaphoreInfo(key) };
  });

  router.handle(SemaphoreMethods.Release, async (p) => {
    const key = await semaphore(p);
    const released = await coord.release(key, p.holder, 'released by its holder');
    return { released, semaphore: await semaphoreInfo(key) };
  });

  router.handle(SemaphoreMethods.Heartbeat, async (p) => {
    const key = await semaphore(p);
    await coord.heartbeat(key, p.holder);
    return { semaphore: await semaphoreInfo(key) };
  });
}
