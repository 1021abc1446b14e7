/**
 * The shell around the item lifecycle (core/queue/item-machine.ts): every
 * change to a queue item goes through `apply`, which loads nothing itself
 * but, inside one write (joining the caller's), calls the core, writes the
 * new row, its attempt records and its events, and has the effects run
 * after the outermost commit. A command the item's state does not allow
 * becomes an illegal-state error and changes nothing.
 */
import { OjError } from '@oj/protocol';
import type { ItemEvent, ItemTransition } from '../core/queue/item.js';
import { ItemRejected } from '../core/queue/item.js';
import { stepItem } from '../core/queue/item-machine.js';
import type { EventLog } from '../events/event-log.js';
import { changedColumns, itemColumns, toQueueItem } from '../storage/queue-item-row.js';
import type { QueueItemRow, QueueStore } from '../storage/queue-store.js';
import type { Storage } from '../storage/storage.js';
import type { ItemEffects } from './item-effects.js';
import { itemSettings, type QueueSettings } from './queue-settings.js';

export interface ItemLifecycleDeps {
  storage: Storage;
  items: QueueStore;
  events: EventLog;
  effects: ItemEffects;
  settings(project: string, queue: string): QueueSettings;
  now(): number;
}

export class ItemLifecycle {
  constructor(private readonly d: ItemLifecycleDeps) {}

  /** Applies `event` to the item `row` holds; returns the row as written (as it was, if removed). */
  apply(row: QueueItemRow, event: ItemEvent): QueueItemRow {
    return this.d.storage.write(() => {
      const t = this.step(row, event);
      this.write(row, t);
      return t.removed ? row : { ...row, ...itemColumns(t.state) };
    });
  }

  private step(row: QueueItemRow, event: ItemEvent): ItemTransition {
    const settings = itemSettings(this.d.settings(row.project, row.queue));
    try {
      return stepItem(toQueueItem(row), settings, event, this.d.now());
    } catch (err) {
      if (err instanceof ItemRejected) throw OjError.illegalState(err.message, { state: err.status, ...(err.hint ? { hint: err.hint } : {}) });
      throw err;
    }
  }

  private write(row: QueueItemRow, t: ItemTransition): void {
    const { items } = this.d;
    if (t.removed) items.delete(row.seq);
    else {
      const set = changedColumns(row, t.state);
      if (set) items.update(row.seq, set);
    }
    for (const a of t.attempts) {
      if (a.type === 'start') {
        items.startAttempt({ item_seq: row.seq, attempt: a.attempt, taken_at: a.at, taken_by: a.takenBy, worker: a.worker, ended_at: null, outcome: 'running', error: null });
      } else {
        items.endAttempt(row.seq, a.attempt, a.outcome, a.error, a.at);
      }
    }
    for (const e of t.events) this.d.events.emit({ name: e.name, subject: e.subject, project: row.project, data: e.data });
    if (t.effects.length) this.d.storage.afterCommit(() => this.d.effects.run(row, t.effects));
  }
}
