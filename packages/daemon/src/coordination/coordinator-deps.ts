/** What the lock and semaphore shell is given (by main/wire-coordination.ts) and what it is told about running phases. */
import type { GrantSettings, OrphanWorkAction } from '../core/coordination/index.js';
import type { EventLog } from '../events/event-log.js';
import type { PipelineRecord } from '../storage/pipeline-store.js';
import type { ResourceKey, ResourceKind } from '../storage/resource-store.js';
import type { SharedResources } from '../storage/shared-resources.js';
import type { SharedStore } from '../storage/shared-store.js';
import type { Storage } from '../storage/storage.js';
import type { Logger } from 'winston';

/** What the runbooks say about a lock or semaphore (defaults when it is no longer defined). */
export interface ResourcePolicy extends GrantSettings {
  /** Its qualified id. */
  id: string;
  project: string;
  defined: boolean;
}

export interface CoordinatorDeps {
  storage: Storage;
  /** Holds and places in line: the daemon's SQLite, or PostgreSQL in a cluster. */
  shared: SharedResources;
  /** In a cluster: grants made on other hosts, and notices lost (null) while the listening connection was down. */
  remote?: Pick<SharedStore, 'onRemoteGrant' | 'onRemoteChange'>;
  events: EventLog;
  logger: Logger;
  now(): number;
  policy(key: ResourceKey): ResourcePolicy;
  pipeline(id: string): PipelineRecord | undefined;
  /** Runs a runbook `[action.x]` step of a chain (fire and forget). */
  runAction(project: string, actionId: string, values: Record<string, string>): void;
  /**
   * `on_orphan_work = "requeue"` (or "dead"): the work of a reclaimed slot's
   * holder goes back to its queue. Called when the holder is a pipeline that
   * has an owner (a worker's queue item); wired by the queues capability.
   */
  orphanWork?: (action: OrphanWorkAction, pipeline: PipelineRecord, info: { semaphore: string; holder: string; reason: string }) => void;
  /**
   * An `escalate` step for a pipeline holder whose phase this daemon is not
   * running: hands the pipeline to a human (the engine's machine decides).
   * True when the pipeline is now a human's.
   */
  escalatePipeline?: (pipeline: string, reason: string, source: ResourceKind) => boolean;
}

/**
 * A hold of a phase this daemon runs. `abort` fails the phase (its gate then
 * releases the hold once its processes are gone); `escalate` hands its
 * pipeline to a human: the engine's machine stops the phase's run (the gate
 * then releases the hold the same way) and the pipeline waits, escalated.
 * Each returns false when the phase cannot be aborted or handed over.
 */
export interface LiveHold {
  abort(reason: string): boolean;
  escalate?(reason: string, source: ResourceKind): boolean;
}
