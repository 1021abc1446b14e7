/**
 * One lock or semaphore as the grant machine sees it, the events that move
 * it, and what a transition returns. Pure data: the shell (coordination/)
 * loads the resource's holds and waiters, calls `stepGrant`, writes the new
 * rows and the events in one transaction, and carries out the effects once
 * that has committed. A lock is a resource of `max` 1.
 */
import type { JsonValue, LockMethods } from '@oj/protocol';
import type { BuiltinIn, ChainStep } from '../recovery/index.js';

/** A lock or a semaphore: the protocol's kinds, defined once there. */
export type ResourceKind = LockMethods.ResourceKind;
/** `pipeline`: a phase the daemon runs (and heartbeats); `external`: a CLI or RPC client. */
export type HolderKind = LockMethods.HolderKind;

export interface Hold {
  holder: string;
  holderKind: HolderKind;
  weight: number;
  /** For pipeline holders: the phase that holds it. */
  phase: string | null;
  /** For pipeline holders: the phase run that holds it (its pipeline's run number); null for external holders. */
  run: number | null;
  acquiredAt: number;
  heartbeatAt: number;
  /** The heartbeat window and hold timeout in force when it was taken. */
  heartbeatMs: number;
  timeoutMs: number | null;
  /** Set once found stale (orphaned) and its on_stale (on_orphan) steps ran. */
  staleAt: number | null;
  staleReason: string | null;
}

/** The fields of a hold that change while it is held. */
export type HoldChange = Partial<Pick<Hold, 'heartbeatAt' | 'staleAt' | 'staleReason' | 'phase' | 'run'>>;

export interface Waiter {
  holder: string;
  holderKind: HolderKind;
  weight: number;
  phase: string | null;
  run: number | null;
  since: number;
}

/** Holds in the order they were granted; waiters in arrival order (first come, first served). */
export interface GrantState {
  holds: readonly Hold[];
  waiters: readonly Waiter[];
}

export const EMPTY: GrantState = { holds: [], waiters: [] };

/** One step of an `on_stale` / `on_orphan` / `on_orphan_work` chain, as the runbook model holds it (its `:N` count means nothing here). */
export type ResponseStep = Omit<ChainStep, 'max'>;

/** What becomes of an orphaned holder's work (its queue item): `requeue` or `dead`. */
export type OrphanWorkAction = BuiltinIn<'semaphore.on_orphan_work'>;

/** What the runbooks say about the lock or semaphore. */
export interface GrantSettings {
  kind: ResourceKind;
  /** Its short name, for events and messages. */
  name: string;
  /** Units (1 for a lock). */
  max: number;
  heartbeatMs: number;
  timeoutMs: number | null;
  /** Locks: on_stale; semaphores: on_orphan. Empty: the built-in release (reclaim). */
  onStale: readonly ResponseStep[];
  /** Semaphores: on_orphan_work (empty for locks). */
  onOrphanWork: readonly ResponseStep[];
}

/** What the shell knows about a holder that the core cannot: run-time facts, given with `sweep`. */
export interface HolderFacts {
  /** A phase this daemon runs holds it: the daemon heartbeats it, and a take-back fails the phase. */
  live: boolean;
  /** For a pipeline holder: why it is gone (its pipeline ended or moved on), else null. */
  gone: string | null;
  /** The holder's pipeline's owner (a worker's queue item), if any. */
  owner: Record<string, JsonValue> | null;
}

export type StaleCause = 'heartbeat' | 'timeout' | 'gone';

export interface Request {
  holder: string;
  holderKind: HolderKind;
  weight: number;
  phase: string | null;
  /** The phase run asking (pipeline holders; null otherwise). */
  run: number | null;
}

export type GrantEvent =
  /**
   * Take the resource (at once if it is free and nobody waits, else in line
   * unless `queue` is false). Re-entrant: a later phase run of the holder
   * asking again takes its hold over (a phase re-run after a restart).
   */
  | ({ type: 'request'; queue: boolean } & Request)
  /** A holder says it is alive: it must hold; an earlier staleness is forgotten. */
  | { type: 'heartbeat'; holder: string }
  /** The hold became a running phase's: a fresh heartbeat if it is held (nothing otherwise). */
  | { type: 'attach'; holder: string }
  /**
   * The holder lets go of its hold, or of its place in line. With `run` (a
   * phase run's release, applied at least once), a hold or place of a later
   * run of the holder is left alone: releasing twice, or late, changes nothing.
   */
  | { type: 'release'; holder: string; reason: string; run?: number | null }
  /** A waiter gives up its place in line (a holder keeps its hold). */
  | { type: 'leave'; holder: string }
  /** Whoever holds it loses it (a live holder's phase is failed). */
  | { type: 'forceRelease'; reason: string }
  /**
   * The timer: holds whose holder went silent, timed out or is gone turn
   * stale; live holds get the daemon's heartbeat. `only`: the holders this
   * daemon may judge (in a cluster a host that does not lead judges only
   * its own holds; the leader judges every one); the others are left alone.
   */
  | { type: 'sweep'; facts: ReadonlyMap<string, HolderFacts>; only?: ReadonlySet<string> | undefined }
  /** A stale hold whose pipeline was offered to a human (`handOver`): its on_stale steps run now. */
  | { type: 'respond'; holder: string; holderKind: HolderKind; cause: StaleCause; reason: string; handed: boolean; facts: HolderFacts }
  /**
   * Daemon start: holds and places in line of pipelines that are `gone` go,
   * as do external waiters (their clients died with the old daemon); kept
   * holds get a fresh heartbeat (nobody could send one while it was down).
   */
  | {
      type: 'restart';
      gone: ReadonlyMap<string, string>;
      /** In a cluster: holders (holds and places in line) of other hosts, left as they are. */
      foreign?: ReadonlySet<string>;
    };

export type RequestResult = { granted: true } | { granted: false; queued: boolean; position: number; detail: string };

/** What each event answers to its caller. */
export interface Replies {
  request: RequestResult;
  /** The hold as refreshed. */
  heartbeat: Hold;
  attach: undefined;
  /** Whether a hold (not a place in line) was released. */
  release: boolean;
  /** Whether the holder holds the resource (it was granted before it could leave). */
  leave: boolean;
  /** The holds that were released. */
  forceRelease: Hold[];
  sweep: undefined;
  respond: undefined;
  restart: { released: number; kept: number; dropped: number };
}

export type ReplyOf<E extends GrantEvent> = Replies[E['type']];

/** An event to record; the shell adds the resource (`lock`/`semaphore`: its name, `id`) and the project. */
export interface GrantRecord {
  name: string;
  /** The holder. */
  subject: string;
  data: Record<string, JsonValue>;
}

/** Things the shell does after the transition has committed. */
export type GrantEffect =
  /** `holder` was granted from the line: wake whoever waits for it. */
  | { type: 'wake'; holder: string }
  /**
   * A stale hold's on_stale steps hand its pipeline to a human: ask (the
   * engine's machine decides), then step `respond` with the answer.
   */
  | { type: 'handOver'; holder: string; holderKind: HolderKind; cause: StaleCause; reason: string; facts: HolderFacts }
  /**
   * Fail the live phase holding it (its gate then frees the hold once its
   * processes are gone). When it cannot be failed, release it with
   * `orRelease` as the reason (null: leave it).
   */
  | { type: 'abort'; holder: string; reason: string; orRelease: string | null }
  /** Run a runbook `[action.x]` with the hold's values. */
  | { type: 'runAction'; action: string; values: Record<string, string> }
  /** `requeue` / `dead`: the work of the holder's pipeline goes back to its queue (or its dead letters). */
  | { type: 'orphanWork'; holder: string; action: OrphanWorkAction; reason: string }
  | { type: 'log'; level: 'info' | 'warn'; message: string; fields: Record<string, JsonValue> };

export interface GrantTransition<R> {
  state: GrantState;
  events: GrantRecord[];
  effects: GrantEffect[];
  reply: R;
}

/** A request the resource as it is does not allow: nothing changes. */
export class GrantRejected extends Error {
  override readonly name = 'GrantRejected';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}
