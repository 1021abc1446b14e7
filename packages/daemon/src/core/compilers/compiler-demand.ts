/**
 * When an ojd that started with V8's compilers off (main/v8-compilers.ts)
 * turns them on: once it has done `DEMAND_UNITS` units of work (requests
 * handled, transactions committed) within one `DEMAND_WINDOW_MS` window. An idle
 * daemon (a cron tick, a few workers polling empty queues) does a handful of
 * units a second and never gets there; any real load does within a fraction
 * of a second. Once on, they stay on.
 */
export const DEMAND_WINDOW_MS = 1000;
export const DEMAND_UNITS = 200;

export interface CompilerDemand {
  /** When the current window began (ms, the caller's monotonic clock). */
  readonly windowStart: number;
  /** Units of work seen in it. */
  readonly units: number;
  /** The compilers are (to be) on. */
  readonly busy: boolean;
}

export const IDLE_DEMAND: CompilerDemand = { windowStart: Number.NEGATIVE_INFINITY, units: 0, busy: false };

/** One unit of work at `now`; `busy` turns true on the unit that reaches the threshold. */
export function noteWork(state: CompilerDemand, now: number): CompilerDemand {
  if (state.busy) return state;
  const fresh = now - state.windowStart >= DEMAND_WINDOW_MS;
  const units = (fresh ? 0 : state.units) + 1;
  return { windowStart: fresh ? now : state.windowStart, units, busy: units >= DEMAND_UNITS };
}
