/**
 * The one timer of the locks and semaphores (never a busy loop): armed for
 * the next moment a hold needs attention, at least every MAX_SLEEP_MS.
 * Arming for a later moment than the one armed keeps the earlier one.
 */
import { setLongTimeout, type LongTimer } from '../adapters/long-timer.js';

const MAX_SLEEP_MS = 60_000;
const MIN_SLEEP_MS = 10;

export class SweepTimer {
  private timer: LongTimer | null = null;
  private at = Infinity;

  constructor(
    private readonly now: () => number,
    private readonly fire: () => void,
  ) {}

  /** Fires at `next` (ms since the epoch), or within MAX_SLEEP_MS, unless armed sooner. */
  arm(next: number): void {
    const at = Math.min(next, this.now() + MAX_SLEEP_MS);
    if (this.timer && at >= this.at) return;
    this.timer?.cancel();
    this.at = at;
    this.timer = setLongTimeout(
      () => {
        this.timer = null;
        this.at = Infinity;
        this.fire();
      },
      Math.max(MIN_SLEEP_MS, at - this.now()),
      { unref: true },
    );
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = null;
    this.at = Infinity;
  }
}
