/**
 * The pure rules of locks and semaphores: who may be granted now (strict
 * first come, first served: the head of the line blocks those behind it, so
 * a heavy waiter is never starved by light ones), when a hold is stale, and
 * when the sweeper must next look at a hold. A lock is a resource of max 1.
 */

export interface Weighted {
  holder: string;
  weight: number;
}

/** Waiters (in arrival order) that fit now, given what is held and `max`. */
export function grantable<W extends Weighted>(max: number, holds: readonly Weighted[], waiters: readonly W[]): W[] {
  let used = holds.reduce((n, h) => n + h.weight, 0);
  const out: W[] = [];
  for (const w of waiters) {
    if (used + w.weight > max) break;
    used += w.weight;
    out.push(w);
  }
  return out;
}

/** Whether a new request may be granted at once: nobody waits ahead of it and it fits. */
export function fitsNow(max: number, holds: readonly Weighted[], waitersAhead: number, weight: number): boolean {
  if (waitersAhead > 0) return false;
  return holds.reduce((n, h) => n + h.weight, 0) + weight <= max;
}

export interface HoldTiming {
  acquiredAt: number;
  heartbeatAt: number;
  heartbeatMs: number;
  timeoutMs: number | null;
}

export type Staleness =
  | { stale: false }
  | { stale: true; cause: 'heartbeat' | 'timeout'; reason: string };

/**
 * A hold is stale when its holder has been silent longer than its heartbeat
 * window, or when it has been held longer than the timeout. Holds of phases
 * this daemon is running (`live`) are heartbeated by the daemon and only
 * time out.
 */
export function staleness(h: HoldTiming, now: number, live: boolean): Staleness {
  if (h.timeoutMs !== null && now - h.acquiredAt > h.timeoutMs) {
    return { stale: true, cause: 'timeout', reason: `held for ${fmt(now - h.acquiredAt)} (timeout ${fmt(h.timeoutMs)})` };
  }
  if (!live && now - h.heartbeatAt > h.heartbeatMs) {
    return { stale: true, cause: 'heartbeat', reason: `no heartbeat for ${fmt(now - h.heartbeatAt)} (window ${fmt(h.heartbeatMs)})` };
  }
  return { stale: false };
}

/**
 * When the sweeper must next look at a hold: for a live hold, when its
 * heartbeat is half a window old (the daemon refreshes it) or it times out;
 * for any other, just after its window or timeout passes.
 */
export function nextAttention(h: HoldTiming, live: boolean): number {
  const timeout = h.timeoutMs !== null ? h.acquiredAt + h.timeoutMs + 1 : Infinity;
  const beat = live ? h.heartbeatAt + Math.floor(h.heartbeatMs / 2) : h.heartbeatAt + h.heartbeatMs + 1;
  return Math.min(timeout, beat);
}

function fmt(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s % 60);
  if (m < 60) return rest ? `${m}m${rest}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
}
