/**
 * Locks: exclusive access to a resource (`[lock.x]` in a runbook). Pipelines
 * take them for phases with `lock = "x"`; anything else (a script, a person)
 * takes them through these methods as an "external" holder and keeps them
 * alive with `locks.heartbeat`.
 */
import { method } from '../rpc.js';
import { acquireParams, forceReleaseParams, holderParams, listParams, resourceParams } from './resource-params.js';

/** Locks and semaphores share the coordinator, its tables and the holder and waiter shapes below. */
export type ResourceKind = 'lock' | 'semaphore';

/** `pipeline`: a phase the daemon runs (it heartbeats); `external`: taken through the CLI/RPC. */
export type HolderKind = 'pipeline' | 'external';

/** Who holds a lock or a semaphore slot. */
export interface HolderInfo {
  holder: string;
  kind: HolderKind;
  weight: number;
  /** The phase holding it, for pipeline holders. */
  phase: string | null;
  acquiredAt: string;
  heartbeatAt: string;
  /** Silent past its heartbeat window, or held past the timeout. */
  stale: boolean;
  /** Why it is stale: "no heartbeat for 45s", "held for 31m (timeout 30m)". */
  staleReason: string | null;
  /** In cluster mode: the daemon (host id) it belongs to; null on a daemon on its own. */
  host: string | null;
}

/** Someone waiting for a lock or slots, in arrival order. */
export interface WaiterInfo {
  holder: string;
  kind: HolderKind;
  weight: number;
  phase: string | null;
  since: string;
  /** 1 = next in line. */
  position: number;
}

export interface LockInfo {
  /** Qualified id (`build.lock.main_branch`): every lock command accepts it. */
  id: string;
  name: string;
  project: string;
  /** False when the runbooks no longer define it (state left over). */
  defined: boolean;
  heartbeatMs: number;
  timeoutMs: number | null;
  onStale: string[];
  held: boolean;
  holder: HolderInfo | null;
  stale: boolean;
  waiters: WaiterInfo[];
}

export const List = method<{ locks: LockInfo[] }>()(
  'locks.list',
  () => listParams(),
  "The locks a project defines (or every project's locks that have state), with holder and waiters.",
);

export const Show = method<{ lock: LockInfo }>()(
  'locks.show',
  () => resourceParams(),
  'One lock: holder, heartbeat, staleness and the waiters in arrival order.',
);

export const Acquire = method<{ acquired: boolean; lock: LockInfo }>()(
  'locks.acquire',
  () => acquireParams({}),
  'Take a lock for an external holder. Taking a lock one already holds succeeds (and counts as a heartbeat). ' +
    'Without `wait`, acquired = false when someone else holds it or waits for it.',
);

export const Release = method<{ released: boolean; lock: LockInfo }>()(
  'locks.release',
  () => holderParams(),
  'Release a lock held by `holder` (or leave the line if it was waiting); the next waiter gets it.',
);

export const Heartbeat = method<{ lock: LockInfo }>()(
  'locks.heartbeat',
  () => holderParams(),
  'Tell the daemon an external holder is alive. Fails (illegal_state) when `holder` does not hold the lock.',
);

export const ForceRelease = method<{ released: boolean; previous: HolderInfo | null; lock: LockInfo }>()(
  'locks.forceRelease',
  () => forceReleaseParams(),
  'Release a lock whoever holds it (a pipeline holding it has its phase failed); the next waiter gets it.',
);

export const IsStale = method<{ stale: boolean; reason: string | null; lock: LockInfo }>()(
  'locks.isStale',
  () => resourceParams(),
  'Whether the lock is held by a holder silent past its heartbeat window or held past its timeout.',
);
