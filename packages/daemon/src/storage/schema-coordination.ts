/** Tables of locks, semaphores, guards and strategies (schema version 4). */
import type { LockMethods } from '@oj/protocol';
import type { Generated } from 'kysely';
import type { GuardStage, StrategyAttemptStatus, StrategyRunStatus } from '../core/coordination/guard-strategy-states.js';

/** What a hold and a place in line both name: the resource, who, and how many units. */
interface ResourceClaimColumns {
  id: Generated<number>;
  kind: LockMethods.ResourceKind;
  project: string;
  /** Qualified id of the `[lock.x]` / `[semaphore.x]`. */
  resource: string;
  holder: string;
  /** A phase the daemon runs (and heartbeats), or a holder that took it through the CLI/RPC. */
  holder_kind: LockMethods.HolderKind;
  weight: number;
  /** For pipeline holders: the phase that holds it (or waits for it). */
  phase: string | null;
  /** For pipeline holders: that phase's run (its pipeline's run number; schema version 17). */
  run: number | null;
}

/**
 * Who holds a lock or semaphore units. A lock is a resource of max 1, so
 * both kinds share the table; one row per (kind, project, resource, holder).
 */
export interface ResourceHoldsTable extends ResourceClaimColumns {
  acquired_at: number;
  heartbeat_at: number;
  /** The heartbeat window and hold timeout in force when it was taken. */
  heartbeat_ms: number;
  timeout_ms: number | null;
  /** Set once found stale/orphaned and its on_stale/on_orphan chain ran. */
  stale_at: number | null;
  stale_reason: string | null;
}

/** Who waits for a lock or units, in arrival order (the id). */
export interface ResourceWaitersTable extends ResourceClaimColumns {
  since: number;
}

/** One run of a strategy in one phase visit: its checkpoint and the attempt it is on. */
export interface StrategyRunsTable {
  id: Generated<number>;
  pipeline_id: string;
  phase: string;
  /** Qualified strategy id. */
  strategy: string;
  status: StrategyRunStatus;
  checkpoint: string | null;
  checkpoint_taken: number;
  /** Index of the attempt under way (or next). */
  attempt: number;
  /** How far on_exhaust has advanced (JSON {step, used}). */
  exhaust: string;
  started_at: number;
  updated_at: number;
}

/** The attempts of a strategy run, as they went. */
export interface StrategyAttemptsTable {
  id: Generated<number>;
  strategy_run_id: number;
  attempt: number;
  name: string;
  status: StrategyAttemptStatus;
  error: string | null;
  /** Outcome of its rollback: null (none ran), 'ok', or the failure. */
  rollback: string | null;
  started_at: number;
  finished_at: number | null;
}

/** A guard that is waiting (failed at least once) in a phase visit. */
export interface GuardWaitsTable {
  pipeline_id: string;
  phase: string;
  /** Qualified guard id. */
  guard: string;
  stage: GuardStage;
  started_at: number;
  checks: number;
  /** How far on_timeout has advanced (JSON {step, used}). */
  timeouts: string;
  last_error: string | null;
}

export interface CoordinationTables {
  resource_holds: ResourceHoldsTable;
  resource_waiters: ResourceWaitersTable;
  strategy_runs: StrategyRunsTable;
  strategy_attempts: StrategyAttemptsTable;
  guard_waits: GuardWaitsTable;
}
