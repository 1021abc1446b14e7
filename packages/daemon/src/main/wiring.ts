/**
 * What a capability (queues, coordination, agents...) gets to plug itself
 * into the daemon: it registers its RPC handlers and phase steps, and returns
 * what the daemon calls at start, at stop and for status.
 */
import type { OverviewSection } from '@oj/protocol';
import type { Logger } from 'winston';
import type { ShellRunner } from '../adapters/shell-runner.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import type { PipelineRuntime } from '../engine/pipeline-runtime.js';
import type { EventLog } from '../events/event-log.js';
import type { CronTickHooks } from '../crons/cron-tick-hooks.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { RpcRouter } from '../rpc/rpc-router.js';
import type { SharedStore } from '../storage/shared-store.js';
import type { Storage } from '../storage/storage.js';

export interface WiringContext {
  router: RpcRouter;
  storage: Storage;
  /** What daemons share: the daemon's own SQLite, or PostgreSQL in cluster mode (storage/shared-store.ts). */
  shared: SharedStore;
  events: EventLog;
  engine: PipelineEngine;
  runtime: PipelineRuntime;
  projects: ProjectRegistry;
  logger: Logger;
  stateDir: string;
  /** Starts every shell child (phases, hooks, sources, conditions...) and builds its environment: the daemon's one runner over its process spawner. */
  shellRunner: ShellRunner;
  /** What every cron tick runs besides the cron's own `run` (the monitors add theirs). */
  cronTicks: CronTickHooks;
  /** The commit of the strategy checkpoint a pipeline last took, if any (what a rollback goes back to). */
  lastCheckpoint(pipeline: string): string | null;
  now(): number;
}

export interface Capability {
  /** Before pipelines are reconciled (and their phases re-run): settle what belongs to pipelines that moved on. */
  prepare?(): Promise<void>;
  /** After the socket listens and pipelines are reconciled: resume what was running. */
  start?(): void | Promise<void>;
  /** Daemon stop: timers off; leave durable state as it is. */
  stop?(options?: { killSessions?: boolean }): void | Promise<void>;
  /** Counts for `oj status` (e.g. { "queue.items.pending": 3 }). */
  counts?(): Record<string, number> | Promise<Record<string, number>>;
  /** Sections of `oj status` (workers, crons, locks...), for one project or all (undefined). */
  overview?(project: string | undefined): Record<string, OverviewSection> | Promise<Record<string, OverviewSection>>;
}
