/**
 * One timer for the earliest of many stored deadlines (visibility timeouts,
 * retention). Arming a later deadline than the one armed changes nothing;
 * when the timer fires, `due` sweeps what has passed and arms the next
 * stored deadline. A wait is at most an hour, so a clock change cannot
 * leave a deadline far behind.
 */
import { setLongTimeout, type LongTimer } from '../adapters/long-timer.js';

const MAX_WAIT_MS = 60 * 60 * 1000;

export class DeadlineTimer {
  private timer: LongTimer | null = null;
  private at: number | null = null;
  private stopped = false;

  constructor(
    private readonly now: () => number,
    private readonly due: () => void,
  ) {}

  arm(at: number): void {
    if (this.stopped) return;
    if (this.at !== null && this.at <= at) return;
    this.timer?.cancel();
    this.at = at;
    const delay = Math.min(Math.max(0, at - this.now()), MAX_WAIT_MS);
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

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    this.at = null;
  }
}
