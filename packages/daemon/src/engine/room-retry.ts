/**
 * Writes of pipeline outcomes that must not be lost to a full disk. A write
 * refused for want of disk space (nothing was written) is tried again every
 * DISK_FULL_RETRY_MS until there is room, so a phase that ends while the disk
 * is full is not forgotten: its pipeline goes on once space is freed. Other
 * errors are logged.
 */
import type { Logger } from 'winston';
import { isDiskFull } from '../storage/disk-full.js';

/** How often an outcome refused for want of disk space is written again. */
export const DISK_FULL_RETRY_MS = 1000;

export class RoomRetry {
  private stopped = false;
  /** Writes waiting for room on the disk. */
  private readonly waits = new Set<NodeJS.Timeout>();

  constructor(private readonly logger: Logger) {}

  /** Runs `write` for pipeline `id` (`what` names it in the log), again while the disk is full. */
  write(id: string, what: string, write: () => void | Promise<void>, attempt = 0): void {
    if (this.stopped) return;
    const written = () => {
      if (attempt > 0) this.logger.info('pipeline outcome written once there was room', { pipeline: id, what, attempts: attempt + 1 });
    };
    const refused = (err: unknown) => {
      if (!isDiskFull(err)) {
        this.logger.warn('pipeline event not applied', { pipeline: id, event: what, error: (err as Error).message });
        return;
      }
      if (attempt === 0) this.logger.warn('pipeline outcome waits for room on the disk', { pipeline: id, what });
      const timer = setTimeout(() => {
        this.waits.delete(timer);
        this.write(id, what, write, attempt + 1);
      }, DISK_FULL_RETRY_MS);
      this.waits.add(timer);
    };
    try {
      const r = write();
      if (r) r.then(written, refused);
      else written();
    } catch (err) {
      refused(err);
    }
  }

  /** Drops the waiting writes (daemon shutdown: their runs are re-run after restart). */
  stop(): void {
    this.stopped = true;
    for (const t of this.waits) clearTimeout(t);
    this.waits.clear();
  }
}
