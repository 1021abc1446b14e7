/**
 * A timeout that may be longer than Node's setTimeout allows. Node keeps a
 * delay in a signed 32-bit int: anything past 2^31-1 ms (24.8 days) fires
 * after 1 ms with a TimeoutOverflowWarning. Here a long wait is a chain of
 * waits of at most that length, so a "30d" timeout fires after 30 days.
 *
 * Every timer the daemon sets from a user-given duration (runbook fields,
 * RPC timeouts, configuration) goes through this.
 */

/** The longest delay one Node timer can hold. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export interface LongTimer {
  /** Stops the timer; the callback will not run. Safe to call more than once. */
  cancel(): void;
  /** True until the callback has run or the timer was cancelled. */
  readonly pending: boolean;
}

export interface LongTimerOptions {
  /** Do not keep the process alive for this timer alone (see Timeout.unref). */
  unref?: boolean;
}

/**
 * Calls fn once after ms. An ms that is not finite (Infinity) never fires;
 * a negative or NaN one fires as soon as possible.
 */
export function setLongTimeout(fn: () => void, ms: number, options: LongTimerOptions = {}): LongTimer {
  let remaining = Number.isNaN(ms) ? 0 : Math.max(0, ms);
  let handle: NodeJS.Timeout | null = null;
  let pending = true;

  const arm = () => {
    const step = Math.min(remaining, MAX_TIMER_DELAY_MS);
    handle = setTimeout(() => {
      handle = null;
      remaining -= step;
      if (remaining > 0) {
        arm();
        return;
      }
      pending = false;
      fn();
    }, step);
    if (options.unref) handle.unref();
  };
  if (Number.isFinite(remaining)) arm();

  return {
    cancel() {
      pending = false;
      if (handle) clearTimeout(handle);
      handle = null;
    },
    get pending() {
      return pending;
    },
  };
}

