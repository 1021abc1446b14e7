/**
 * Locks and semaphores as the shared store holds them (storage/shared-store.ts):
 * holds and places in line, each with the host it belongs to. A change loads
 * one resource's rows under a lock on that resource (PostgreSQL: a row lock
 * on its `resources` row), hands them to the shell's `decide` (the grant
 * machine, core/coordination) and writes what it returns, in one transaction.
 */
import type { JsonValue } from '@oj/protocol';
import type { Hold, HoldChange, Waiter } from '../core/coordination/index.js';
import type { ClaimFilter, HoldRow, ResourceKey, WaiterRow } from './resource-store.js';

/** A hold as shared: whether this daemon's host holds it, and whether its host is gone (silent past its lease). */
export interface SharedHoldRow extends HoldRow {
  here: boolean;
  host: string | null;
  hostGone: boolean;
}

export interface SharedWaiterRow extends WaiterRow {
  here: boolean;
  host: string | null;
}

export type ResourceWrite =
  | { type: 'deleteHold'; id: number }
  | { type: 'deleteWaiter'; id: number }
  /** A new hold: its holder's place in line (if it had one) says which host it belongs to, else this one. */
  | { type: 'insertHold'; hold: Hold }
  | { type: 'updateHold'; id: number; patch: HoldChange }
  | { type: 'insertWaiter'; waiter: Waiter };

export interface ResourceDecision<T> {
  writes: readonly ResourceWrite[];
  result: T;
  /** Local writes that go with it (events, effects), as for queue items. */
  local?: (() => void) | undefined;
  /** Holders granted from the line: their hosts are told (PostgreSQL NOTIFY inside the transaction). */
  granted?: readonly string[] | undefined;
}

export interface SharedResources {
  holds(key: ResourceKey): Promise<SharedHoldRow[]>;
  hold(key: ResourceKey, holder: string): Promise<SharedHoldRow | undefined>;
  waiters(key: ResourceKey): Promise<SharedWaiterRow[]>;
  /** Every hold (optionally of one kind/project), oldest first. */
  allHolds(filter?: ClaimFilter): Promise<SharedHoldRow[]>;
  allWaiters(filter?: ClaimFilter): Promise<SharedWaiterRow[]>;
  change<T>(key: ResourceKey, decide: (holds: SharedHoldRow[], waiters: SharedWaiterRow[]) => ResourceDecision<T>): Promise<T>;
  /**
   * A change that belongs to the caller's local write (a phase run's release,
   * with the transaction that records the phase's outcome). SQLite applies it
   * inside that write; PostgreSQL records it in the local outbox inside it and
   * applies it after the commit (and at start until applied): at least once,
   * so the settler must be idempotent (the grant machine's release by run).
   */
  settle(key: ResourceKey, payload: JsonValue): void;
  /**
   * Resolves once the releases settled so far have been applied (or tried:
   * one that fails is tried again later). At once on SQLite. A later phase of
   * a pipeline waits for it before asking for a resource, so it asks after
   * its earlier phase let go, as on one host.
   */
  settling(): Promise<void>;
  /** How `settle` entries are decided (set once, by the coordinator). */
  setSettler(decide: (key: ResourceKey, holds: SharedHoldRow[], waiters: SharedWaiterRow[], payload: JsonValue) => ResourceDecision<void>): void;
}

export type ResourceSettler = Parameters<SharedResources['setSettler']>[0];
