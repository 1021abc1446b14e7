/** Locks and semaphores of a daemon on its own: its SQLite, through the ResourceStore as always (every hold is this host's). */
import type { JsonValue } from '@oj/protocol';
import type { ClaimFilter, HoldRow, ResourceKey, WaiterRow } from './resource-store.js';
import { ResourceStore } from './resource-store.js';
import type { ResourceDecision, ResourceSettler, ResourceWrite, SharedHoldRow, SharedResources, SharedWaiterRow } from './shared-resources.js';
import type { Storage } from './storage.js';

const hold = (h: HoldRow): SharedHoldRow => ({ ...h, here: true, host: null, hostGone: false });
const waiter = (w: WaiterRow): SharedWaiterRow => ({ ...w, here: true, host: null });

function now<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

export class SqliteSharedResources implements SharedResources {
  readonly store: ResourceStore;
  private settler: ResourceSettler | null = null;

  constructor(private readonly storage: Storage) {
    this.store = new ResourceStore(storage.database);
  }

  holds(key: ResourceKey): Promise<SharedHoldRow[]> {
    return now(() => this.store.holds(key).map(hold));
  }
  hold(key: ResourceKey, holder: string): Promise<SharedHoldRow | undefined> {
    return now(() => {
      const h = this.store.hold(key, holder);
      return h && hold(h);
    });
  }
  waiters(key: ResourceKey): Promise<SharedWaiterRow[]> {
    return now(() => this.store.waiters(key).map(waiter));
  }
  allHolds(filter: ClaimFilter = {}): Promise<SharedHoldRow[]> {
    return now(() => this.store.allHolds(filter).map(hold));
  }
  allWaiters(filter: ClaimFilter = {}): Promise<SharedWaiterRow[]> {
    return now(() => this.store.allWaiters(filter).map(waiter));
  }

  change<T>(key: ResourceKey, decide: (holds: SharedHoldRow[], waiters: SharedWaiterRow[]) => ResourceDecision<T>): Promise<T> {
    return now(() => this.changeNow(key, decide));
  }

  private changeNow<T>(key: ResourceKey, decide: (holds: SharedHoldRow[], waiters: SharedWaiterRow[]) => ResourceDecision<T>): T {
    return this.storage.write(() => {
      const d = decide(this.store.holds(key).map(hold), this.store.waiters(key).map(waiter));
      for (const w of d.writes) applyWrite(this.store, key, w);
      d.local?.();
      return d.result;
    });
  }

  /** Inside the caller's write: applied there, with it. */
  settle(key: ResourceKey, payload: JsonValue): void {
    const settler = this.settler;
    if (!settler) throw new Error('no resource settler registered');
    this.changeNow(key, (holds, waiters) => settler(key, holds, waiters, payload));
  }

  settling(): Promise<void> {
    return Promise.resolve();
  }

  setSettler(decide: ResourceSettler): void {
    this.settler = decide;
  }
}

function applyWrite(store: ResourceStore, key: ResourceKey, w: ResourceWrite): void {
  switch (w.type) {
    case 'deleteHold':
      store.deleteHold(w.id);
      break;
    case 'deleteWaiter':
      store.deleteWaiter(w.id);
      break;
    case 'insertHold':
      // The machine's new holds are taken now: acquired and heartbeated at once, not stale.
      store.insertHold(key, w.hold, w.hold.acquiredAt);
      break;
    case 'updateHold':
      store.updateHold(w.id, w.patch);
      break;
    case 'insertWaiter':
      store.insertWaiter(key, w.waiter, w.waiter.since);
      break;
  }
}
