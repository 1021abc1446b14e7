/** The queue's listeners (the workers): told after a change to an item has committed. */
import type { Logger } from 'winston';
import type { ChangeReason } from '../core/queue/item.js';

export interface ItemChange {
  project: string;
  queue: string;
  /** added: new or redriven items; released: an item is visible again; finished: an attempt ended. */
  reason: ChangeReason;
  /** The worker whose pipeline held the item, if any. */
  worker: string | null;
}

export class ItemChanges {
  private readonly listeners = new Set<(c: ItemChange) => void>();

  constructor(private readonly logger: Logger) {}

  onChange(cb: (c: ItemChange) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Call after the change has committed. */
  tell(c: ItemChange): void {
    for (const l of this.listeners) {
      try {
        l(c);
      } catch (err) {
        this.logger.warn('queue listener failed', { error: String(err) });
      }
    }
  }
}
