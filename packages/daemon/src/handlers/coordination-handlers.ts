/** locks.* and semaphores.* methods. */
import { ErrorCode, LockMethods, OjError, SemaphoreMethods, type ParsedParamsOf } from '@oj/protocol';
import { setLongTimeout, type LongTimer } from '../adapters/long-timer.js';
import type { ResourceCoordinator } from '../coordination/resource-coordinator.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { ConnectionContext } from '../rpc/connection-context.js';
import type { RpcRouter } from '../rpc/rpc-router.js';
import type { ResourceKey, ResourceKind, ResourceStore } from '../storage/resource-store.js';

export interface CoordinationHandlerDeps {
  coordinator: ResourceCoordinator;
  store: ResourceStore;
  projects: ProjectRegistry;
}

export function registerCoordinationHandlers(router: RpcRouter, d: CoordinationHandlerDeps): void {
  const { coordinator: coord, store } = d;

  /** A name as a runbook writes it (`main_branch`, `build.main_branch`, `build.lock.main_branch`) -> the resource. */
  const resolve = (kind: ResourceKind, project: string, name: string): ResourceKey => {
    const p = d.projects.get(project);
    const found = p.lookup(kind, name);
    if (found.ok) return { kind, project, resource: found.value.id };
    // State left over from a definition that is gone can still be inspected and released.
    const leftover = store.keysWithState(kind, project).find((k) => k.resource === name || k.resource.endsWith(`.${kind}.${name}`));
    if (leftover) return leftover;
    if (found.reason === 'ambiguous') {
      throw new OjError(ErrorCode.Ambiguous, found.message, { kind: 'ambiguous', ...(found.hint ? { hint: found.hint } : {}) });
    }
    const defined = p.all(kind).map((x) => x.name);
    throw OjError.notFound(kind, name, {
      hint: found.hint ?? (defined.length ? `defined: ${defined.join(', ')}` : `no [${kind}.<name>] is defined in ${project}/.oj/runbooks`),
    });
  };

  const lockInfo = (key: ResourceKey): LockMethods.LockInfo => {
    const policy = coord.policyOf(key);
    const holder = store.holds(key)[0];
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
    const holds = store.holds(key);
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

  /** Defined resources of a project (or of every known project) plus any with state. */
  const keys = (kind: ResourceKind, project?: string): ResourceKey[] => {
    const roots = project ? [project] : d.projects.status().map((s) => s.root);
    const out = new Map<string, ResourceKey>();
    for (const root of roots) {
      const p = project ? d.projects.get(root) : d.projects.peek(root);
      for (const r of p?.all(kind) ?? []) out.set(`${root}\0${r.id}`, { kind, project: root, resource: r.id });
    }
    for (const k of store.keysWithState(kind, project)) out.set(`${k.project}\0${k.resource}`, k);
    return [...out.values()].sort((a, b) => a.project.localeCompare(b.project) || a.resource.localeCompare(b.resource));
  };

  /** Takes (or waits in line for) a resource for an external holder. */
  const acquire = async (
    key: ResourceKey,
    // A lock's acquire params are a semaphore's without the weight.
    p: ParsedParamsOf<typeof SemaphoreMethods.Acquire>,
    ctx: ConnectionContext,
  ): Promise<boolean> => {
    const req = { holder: p.holder, holderKind: 'external' as const, weight: p.weight ?? 1, phase: null };
    const r = coord.request(key, req, { queue: p.wait === true });
    if (r.granted) return true;
    if (!p.wait) return false;
    let timer: LongTimer | null = null;
    const grant = coord.granted(key, p.holder);
    const outcome = await new Promise<'granted' | 'timeout' | 'closed'>((done) => {
      void grant.promise.then(() => done('granted'));
      if (p.timeoutMs !== undefined) timer = setLongTimeout(() => done('timeout'), p.timeoutMs);
      ctx.onClose(() => done('closed'));
    });
    (timer as LongTimer | null)?.cancel();
    grant.cancel();
    if (outcome === 'granted') {
      if (!ctx.closed) return true;
      coord.release(key, p.holder, 'the client that waited for it went away');
      return false;
    }
    const got = coord.abandonWait(key, p.holder);
    if (got && outcome === 'closed') {
      coord.release(key, p.holder, 'the client that waited for it went away');
      return false;
    }
    return got;
  };

  // ---- locks

  router.handle(LockMethods.List, (p) => ({ locks: keys('lock', p?.project).map(lockInfo) }));

  router.handle(LockMethods.Show, (p) => ({ lock: lockInfo(resolve('lock', p.project, p.name)) }));

  router.handle(LockMethods.Acquire, async (p, ctx) => {
    const key = resolve('lock', p.project, p.name);
    const acquired = await acquire(key, p, ctx);
    return { acquired, lock: lockInfo(key) };
  });

  router.handle(LockMethods.Release, (p) => {
    const key = resolve('lock', p.project, p.name);
    const released = coord.release(key, p.holder, 'released by its holder');
    return { released, lock: lockInfo(key) };
  });

  router.handle(LockMethods.Heartbeat, (p) => {
    const key = resolve('lock', p.project, p.name);
    coord.heartbeat(key, p.holder);
    return { lock: lockInfo(key) };
  });

  router.handle(LockMethods.ForceRelease, (p) => {
    const key = resolve('lock', p.project, p.name);
    const before = store.holds(key)[0];
    const previous = before ? coord.holderInfo(before) : null;
    const released = coord.forceRelease(key, p.reason ?? 'force-released by a user').length > 0;
    return { released, previous, lock: lockInfo(key) };
  });

  router.handle(LockMethods.IsStale, (p) => {
    const key = resolve('lock', p.project, p.name);
    const lock = lockInfo(key);
    return { stale: lock.stale, reason: lock.holder?.staleReason ?? null, lock };
  });

  // ---- semaphores

  router.handle(SemaphoreMethods.List, (p) => ({ semaphores: keys('semaphore', p?.project).map(semaphoreInfo) }));

  router.handle(SemaphoreMethods.Status, (p) => ({ semaphore: semaphoreInfo(resolve('semaphore', p.project, p.name)) }));

  router.handle(SemaphoreMethods.Acquire, async (p, ctx) => {
    const key = resolve('semaphore', p.project, p.name);
    const acquired = await acquire(key, p, ctx);
    return { acquired, semaphore: semaphoreInfo(key) };
  });

  router.handle(SemaphoreMethods.Release, (p) => {
    const key = resolve('semaphore', p.project, p.name);
    const released = coord.release(key, p.holder, 'released by its holder');
    return { released, semaphore: semaphoreInfo(key) };
  });

  router.handle(SemaphoreMethods.Heartbeat, (p) => {
    const key = resolve('semaphore', p.project, p.name);
    coord.heartbeat(key, p.holder);
    return { semaphore: semaphoreInfo(key) };
  });
}
