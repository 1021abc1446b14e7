/**
 * Emitting and following events. An event is appended inside the write that
 * causes it; followers hear about it only after that write commits.
 *
 * In a cluster, other hosts' events are delivered too (never appended: each
 * host keeps its own log), but only to followers that ask for them
 * (`remote`): what waits to be woken (workers' and guards' `wake_on`).
 */
import type { ClusterEventRecord, EventRecord } from '@oj/protocol';
import type { EventFilter, NewEvent } from '../storage/event-store.js';
import type { Storage } from '../storage/storage.js';
import { matchesPattern } from './event-pattern.js';
import { scrubText } from '../log/redact.js';

export interface EventFollower {
  name?: string | undefined;
  project?: string | undefined;
  /** Also other hosts' events (cluster mode); their ids are not this log's. */
  remote?: boolean | undefined;
  deliver(event: EventRecord): void;
}

/** Runs inside the transaction that appends a matching event (e.g. to keep a record with it). */
export type AppendHook = (event: EventRecord) => void;

export class EventLog {
  private readonly followers = new Set<EventFollower>();
  private readonly appendHooks: { name: string; hook: AppendHook }[] = [];

  constructor(private readonly storage: Storage) {}

  emit(e: NewEvent): EventRecord {
    const name = scrubText(e.name); // as it is stored
    const hooks = this.appendHooks.filter((h) => matchesPattern(h.name, name));
    // Inside a write with no hook to run, the append (one INSERT, whole or not at all) needs no savepoint of its own.
    if (hooks.length === 0 && this.storage.writing) return this.append(e, hooks);
    return this.storage.write(() => this.append(e, hooks));
  }

  private append(e: NewEvent, hooks: readonly { hook: AppendHook }[]): EventRecord {
    const record = this.storage.events.append(e);
    for (const h of hooks) h.hook(record);
    this.storage.afterCommit(() => this.publish(record));
    return record;
  }

  /** Registers a hook run in the same transaction as every appended event matching `name`. */
  onAppend(name: string, hook: AppendHook): void {
    this.appendHooks.push({ name, hook });
  }

  /** Stored events, oldest first (see EventFilter). */
  list(f: EventFilter): EventRecord[] {
    return this.storage.events.list(f);
  }

  /** The id of the last event appended (0 when none). */
  lastId(): number {
    return this.storage.events.lastId();
  }

  follow(f: EventFollower): () => void {
    this.followers.add(f);
    return () => this.followers.delete(f);
  }

  /** An event another host of the cluster recorded: told to the followers that want other hosts' events. */
  deliverRemote(record: ClusterEventRecord): void {
    this.publish(record, true);
  }

  private publish(record: EventRecord, remote = false): void {
    for (const f of this.followers) {
      if (remote && !f.remote) continue;
      if (f.project && record.project !== f.project) continue;
      if (f.name && !matchesPattern(f.name, record.name)) continue;
      f.deliver(record);
    }
  }
}
