/**
 * Emitting and following events. An event is appended inside the write that
 * causes it; followers hear about it only after that write commits.
 */
import type { EventRecord } from '@oj/protocol';
import type { NewEvent } from '../storage/event-store.js';
import type { Storage } from '../storage/storage.js';
import { matchesPattern } from './event-pattern.js';

export interface EventFollower {
  name?: string | undefined;
  project?: string | undefined;
  deliver(event: EventRecord): void;
}

export class EventLog {
  private readonly followers = new Set<EventFollower>();

  constructor(private readonly storage: Storage) {}

  emit(e: NewEvent): EventRecord {
    return this.storage.write(() => {
      const record = this.storage.events.append(e);
      this.storage.afterCommit(() => this.publish(record));
      return record;
    });
  }

  follow(f: EventFollower): () => void {
    this.followers.add(f);
    return () => this.followers.delete(f);
  }

  private publish(record: EventRecord): void {
    for (const f of this.followers) {
      if (f.project && record.project !== f.project) continue;
      if (f.name && !matchesPattern(f.name, record.name)) continue;
      f.deliver(record);
    }
  }
}
