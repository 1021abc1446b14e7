/**
 * When a hold is stale, and when the sweeper must next look at it. A hold is
 * stale when its holder has been silent longer than its heartbeat window, or
 * when it has been held longer than its timeout. Holds of phases this daemon
 * runs (`live`) are heartbeated by the daemon and only time out.
 */
import type { Hold } from './types.js';

export type HoldTiming = Pick<Hold, 'acquiredAt' | 'heartbeatAt' | 'heartbeatMs' | 'timeoutMs'>;

export type Staleness = { stale: false } | { stale: true; cause: 'heartbeat' | 'timeout'; reason: string };

export function staleness(h: HoldTiming, now: number, live: boolean): Staleness {
  if (h.timeoutMs !== null && now - h.acquiredAt > h.timeoutMs) {
    return { stale: true, cause: 'timeout', reason: `held for ${fmt(now - h.acquiredAt)} (timeout ${fmt(h.timeoutMs)})` };
  }
  if (!live && now - h.heartbeatAt > h.heartbeatMs) {
    return { stale: true, cause: 'heartbeat', reason: `no heartbeat for ${fmt(now - h.heartbeatAt)} (window ${fmt(h.heartbeatMs)})` };
  }
  return { stale: false };
}

/** Whether a hold is stale now, as listings and `is-stale` show it: marked stale, or past its window or timeout. */
export function staleNow(h: HoldTiming & Pick<Hold, 'staleAt' | 'staleReason'>, now: number, live: boolean): { stale: boolean; reason: string | null } {
  if (h.staleAt !== null) return { stale: true, reason: h.staleReason };
  const s = staleness(h, now, live);
  return s.stale ? { stale: true, reason: s.reason } : { stale: false, reason: null };
}

/** Whether the daemon heartbeats a live hold now: its heartbeat is half a window old. */
export function beatDue(h: HoldTiming, now: number): boolean {
  return now - h.heartbeatAt >= Math.floor(h.heartbeatMs / 2);
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
