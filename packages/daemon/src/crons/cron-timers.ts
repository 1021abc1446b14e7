/**
 * One timer per cron, waking it at its due slot. A timer that fires early
 * (a clock that moved, a wait chained past Node's limit) waits again for the
 * rest; a wait is at most an hour so a changed clock is noticed.
 */
import { setLongTimeout, type LongTimer } from '../adapters/long-timer.js';

const MAX_TIMER_MS = 60 * 60 * 1000;

export class CronTimers {
  private readonly timers = new Map<string, LongTimer>();
  private closed = false;

  constructor(private readonly now: () => number) {}

  /** Calls due() at `at` (replacing the key's timer). No-op once closed. */
  arm(key: string, at: number, due: () => void): void {
    if (this.closed) return;
    this.disarm(key);
    const delay = Math.min(Math.max(0, at - this.now()), MAX_TIMER_MS);
    const t = setLongTimeout(
      () => {
        this.timers.delete(key);
        if (this.now() < at) this.arm(key, at, due);
        else due();
      },
      delay,
      { unref: true },
    );
    this.timers.set(key, t);
  }

  disarm(key: string): void {
    this.timers.get(key)?.cancel();
    this.timers.delete(key);
  }

  armed(key: string): boolean {
    return this.timers.has(key);
  }

  /** Daemon stop: every timer is cancelled and none is armed again. */
  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }
}
