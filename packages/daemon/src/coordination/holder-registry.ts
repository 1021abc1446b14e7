/**
 * In-memory facts about the holders of phases this daemon runs (lost at a
 * restart, on purpose): which holds are live (heartbeated by the daemon,
 * failed rather than released under a running phase), which run of a
 * pipeline owns its hold or place in line, and who waits to be granted.
 */
import type { ResourceKey } from '../storage/resource-store.js';
import type { LiveHold } from './coordinator-deps.js';

export function keyText(k: ResourceKey): string {
  return `${k.kind}\0${k.project}\0${k.resource}`;
}

function holderText(k: ResourceKey, holder: string): string {
  return `${keyText(k)}\0${holder}`;
}

/** Holds of phases this daemon runs. */
export class LiveHolds {
  private readonly live = new Map<string, LiveHold>();

  attach(key: ResourceKey, holder: string, live: LiveHold): void {
    this.live.set(holderText(key, holder), live);
  }

  detach(key: ResourceKey, holder: string): void {
    this.live.delete(holderText(key, holder));
  }

  get(key: ResourceKey, holder: string): LiveHold | undefined {
    return this.live.get(holderText(key, holder));
  }

  has(key: ResourceKey, holder: string): boolean {
    return this.live.has(holderText(key, holder));
  }
}

/**
 * Which run of a pipeline owns its hold or place in line. A phase re-entered
 * while its previous run is still ending (transition to the same phase,
 * resume) takes the hold over; the old run's release must not undo that.
 */
export class RunClaims {
  private readonly owners = new Map<string, number>();

  claim(key: ResourceKey, holder: string, run: number): void {
    this.owners.set(holderText(key, holder), run);
  }

  /** Whether `run` (still) owns it; true when nobody claimed it. */
  owns(key: ResourceKey, holder: string, run: number): boolean {
    const owner = this.owners.get(holderText(key, holder));
    return owner === undefined || owner === run;
  }

  unclaim(key: ResourceKey, holder: string, run: number): void {
    const id = holderText(key, holder);
    if (this.owners.get(id) === run) this.owners.delete(id);
  }
}

/** Callers waiting for a holder to be granted; woken after the grant commits. */
export class GrantWaits {
  private readonly waits = new Map<string, Set<() => void>>();
  private readonly keys = new Map<string, [ResourceKey, string]>();

  /** Who waits here, for a second look (grants told while this host was not listening). */
  waiting(): [ResourceKey, string][] {
    return [...this.waits.keys()].flatMap((id) => {
      const k = this.keys.get(id);
      return k ? [k] : [];
    });
  }

  wait(key: ResourceKey, holder: string): { promise: Promise<void>; cancel(): void } {
    const id = holderText(key, holder);
    let wake: () => void = () => {};
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
      let set = this.waits.get(id);
      if (!set) this.waits.set(id, (set = new Set()));
      set.add(resolve);
      this.keys.set(id, [key, holder]);
    });
    return { promise, cancel: () => this.waits.get(id)?.delete(wake) };
  }

  wake(key: ResourceKey, holder: string): void {
    const id = holderText(key, holder);
    const set = this.waits.get(id);
    this.waits.delete(id);
    this.keys.delete(id);
    for (const cb of set ?? []) cb();
  }
}
