/**
 * One timer for the earliest of many deadlines (visibility timeouts,
 * retention, the moment a lock's hold needs attention). Arming a later
 * deadline than the one armed changes nothing; when the timer fires, `due`
 * deals with what has passed and arms the next deadline. A wait is at most
 * `maxWaitMs` (an hour unless told), so a clock change cannot leave a
 * deadline far behind, and arming `Infinity` means "look again then"; it is
 * at least `minWaitMs` (0 unless told), so a deadline that stays in the past
 * cannot spin.
 */
import { setLongTimeout, type LongTimer } from './long-timer.js';

export interface DeadlineTimerOptions {
  maxWaitMs?: number;
  minWaitMs?: number;
}

export class DeadlineTimer {
  private timer: LongTimer | null = null;
  private at: number | null = null;
  private stopped = false;
  private readonly maxWaitMs: number;
  private readonly minWaitMs: number;

  constructor(
    private readonly now: () => number,
    private readonly due: () => void,
    o: DeadlineTimerOptions = {},
  ) {
    this.maxWaitMs = o.maxWaitMs ?? 60 * 60 * 1000;
    this.minWaitMs = o.minWaitMs ?? 0;
  }

  arm(at: number): void {
    if (this.stopped) return;
    if (this.at !== null && this.at <= at) return;
    this.timer?.cancel();
    this.at = at;
    const delay = Math.min(Math.max(this.minWaitMs, at - this.now()), this.maxWaitMs);
    this.timer = setLongTimeout(
      () => {
        this.timer = null;
        this.at = null;
        this.due();
      },
      delay,
      { unref: true },
    );
  }

  /** Disarms; `arm` works again (after `stop` it does not). */
  cancel(): void {
    this.timer?.cancel();
    this.timer = null;
    this.at = null;
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
  }
}
