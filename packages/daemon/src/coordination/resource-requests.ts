/**
 * What `locks.*` and `semaphores.*` ask of the coordinator for holders outside
 * ojd (`oj lock acquire` in a script): a name as a runbook writes it resolved
 * to its resource, the resources worth listing, and taking one (or waiting in
 * line for it) for as long as the asking connection stays.
 */
import { ErrorCode, OjError, type LockMethods } from '@oj/protocol';
import { setLongTimeout, type LongTimer } from '../adapters/long-timer.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { HoldRow, ResourceKey, ResourceKind } from '../storage/resource-store.js';
import type { SharedResources } from '../storage/shared-resources.js';
import type { ResourceCoordinator } from './resource-coordinator.js';

/** The asking connection, as far as a wait cares: whether it is gone, and when it goes. */
export interface Asker {
  readonly closed: boolean;
  onClose(cb: () => void): void;
}

export interface ExternalRequest {
  holder: string;
  weight?: number | undefined;
  /** Wait in line when it is not free (else answer false at once). */
  wait?: boolean | undefined;
  timeoutMs?: number | undefined;
}

export class ResourceRequests {
  constructor(
    private readonly coord: ResourceCoordinator,
    private readonly store: SharedResources,
    private readonly projects: ProjectRegistry,
  ) {}

  /** A name as a runbook writes it (`main_branch`, `build.main_branch`, `build.lock.main_branch`) -> the resource. */
  async resolve(kind: ResourceKind, project: string, name: string): Promise<ResourceKey> {
    const p = this.projects.get(project);
    const found = p.lookup(kind, name);
    if (found.ok) return { kind, project, resource: found.value.id };
    // State left over from a definition that is gone can still be inspected and released.
    const leftover = (await this.keysWithState(kind, project)).find((k) => k.resource === name || k.resource.endsWith(`.${kind}.${name}`));
    if (leftover) return leftover;
    if (found.reason === 'ambiguous') {
      throw new OjError(ErrorCode.Ambiguous, found.message, { kind: 'ambiguous', ...(found.hint ? { hint: found.hint } : {}) });
    }
    const defined = p.all(kind).map((x) => x.name);
    throw OjError.notFound(kind, name, {
      hint: found.hint ?? (defined.length ? `defined: ${defined.join(', ')}` : `no [${kind}.<name>] is defined in ${project}/.oj/runbooks`),
    });
  }

  /** Defined resources of a project (or of every known project) plus any with state, by project and id. */
  /** Resources (of one kind) that have any state at all, for listings. */
  private async keysWithState(kind: ResourceKind, project?: string): Promise<ResourceKey[]> {
    const seen = new Map<string, ResourceKey>();
    for (const r of [...(await this.store.allHolds({ kind, project })), ...(await this.store.allWaiters({ kind, project }))]) {
      seen.set(`${r.project}\0${r.resource}`, { kind, project: r.project, resource: r.resource });
    }
    return [...seen.values()];
  }

  async keys(kind: ResourceKind, project?: string): Promise<ResourceKey[]> {
    const roots = project ? [project] : this.projects.status().map((s) => s.root);
    const out = new Map<string, ResourceKey>();
    for (const root of roots) {
      const p = project ? this.projects.get(root) : this.projects.peek(root);
      for (const r of p?.all(kind) ?? []) out.set(`${root}\0${r.id}`, { kind, project: root, resource: r.id });
    }
    for (const k of await this.keysWithState(kind, project)) out.set(`${k.project}\0${k.resource}`, k);
    return [...out.values()].sort((a, b) => a.project.localeCompare(b.project) || a.resource.localeCompare(b.resource));
  }

  /** The holds of a resource now. */
  holds(key: ResourceKey): Promise<HoldRow[]> {
    return this.store.holds(key);
  }

  /**
   * Takes a resource for an external holder, or waits in line for it (until
   * the timeout, or until the asker goes away: then it is not taken, and a
   * grant that came meanwhile is given back). True when it holds it.
   */
  async acquire(key: ResourceKey, p: ExternalRequest, asker: Asker): Promise<boolean> {
    const req = { holder: p.holder, holderKind: 'external' as const, weight: p.weight ?? 1, phase: null, run: null };
    const r = await this.coord.request(key, req, { queue: p.wait === true });
    if (r.granted) return true;
    if (!p.wait) return false;
    let timer: LongTimer | null = null;
    const grant = this.coord.granted(key, p.holder);
    const outcome = await new Promise<'granted' | 'timeout' | 'closed'>((done) => {
      void grant.promise.then(() => done('granted'));
      if (p.timeoutMs !== undefined) timer = setLongTimeout(() => done('timeout'), p.timeoutMs);
      asker.onClose(() => done('closed'));
    });
    (timer as LongTimer | null)?.cancel();
    grant.cancel();
    const gone = 'the client that waited for it went away';
    if (outcome === 'granted') {
      if (!asker.closed) return true;
      await this.coord.release(key, p.holder, gone);
      return false;
    }
    const got = await this.coord.abandonWait(key, p.holder);
    if (got && outcome === 'closed') {
      await this.coord.release(key, p.holder, gone);
      return false;
    }
    return got;
  }

  /** Takes a lock from whoever holds it; answers who held it. */
  async forceRelease(key: ResourceKey, reason: string): Promise<{ released: boolean; previous: LockMethods.HolderInfo | null }> {
    const before = (await this.store.holds(key))[0];
    const previous = before ? this.coord.holderInfo(before) : null;
    const released = (await this.coord.forceRelease(key, reason)).length > 0;
    return { released, previous };
  }
}
