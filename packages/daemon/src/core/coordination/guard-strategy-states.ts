/**
 * The states the coordination tables keep for strategies and guards: the
 * literal unions of their columns (storage/schema-coordination.ts), defined
 * once. A lock's or semaphore's kinds are the protocol's
 * (LockMethods.ResourceKind, LockMethods.HolderKind).
 */

/** A strategy run: active from the phase visit that starts it until it succeeds, is exhausted or is stopped. */
export type StrategyRunStatus = 'active' | 'succeeded' | 'exhausted' | 'stopped';

/** One attempt of a strategy run. */
export type StrategyAttemptStatus = 'running' | 'succeeded' | 'failed' | 'interrupted' | 'stopped';

/** When a guard is checked: before its phase runs, or after it succeeded. */
export type GuardStage = 'pre' | 'post';
