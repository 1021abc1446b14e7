/** Table types for kysely. One interface per table; columns as SQLite stores them. */
import type { PhaseRunStatus } from '@oj/protocol';
import type { Generated } from 'kysely';
import type { PipelineStatus } from '../core/pipeline-state.js';
import type { CoordinationTables } from './schema-coordination.js';
import type { QueueTables } from './schema-queues.js';
import type { SessionTables } from './schema-sessions.js';
import type { EscalationTables } from './schema-escalations.js';
import type { MonitorTables } from './schema-monitors.js';

export interface EventsTable {
  id: Generated<number>;
  name: string;
  subject: string | null;
  project: string | null;
  /** JSON object text. */
  data: string;
  /** Unix epoch milliseconds. */
  time: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface PipelinesTable {
  /**
   * The stored key, unique across projects (what every other table refers
   * to): the handle itself, or `<handle>.<project tag>` when another project
   * had that handle first (schema version 12; see engine/pipeline-ids.ts).
   */
  id: string;
  /** The pipeline's id within its project (`build-auth`): unique per project (schema version 12). */
  handle: string;
  project: string;
  /** Runbook file (without .toml) and pipeline name the pipeline was created from. */
  runbook: string;
  name: string;
  status: PipelineStatus;
  phase: string | null;
  run: number;
  /** JSON objects. */
  visits: string;
  recovery: string;
  waiting_for: string | null;
  error: string | null;
  failure_count: number;
  /** JSON: inputs, defaults and runtime values usable as {placeholders}. */
  vars: string;
  workspace: string | null;
  label: string | null;
  archived: number;
  /** JSON: who owns this pipeline (a worker's queue item), if anyone. */
  owner: string | null;
  created_at: number;
  updated_at: number;
  phase_started_at: number | null;
  finished_at: number | null;
  /** The agent session of the current phase, while one runs (schema version 7). */
  session: string | null;
}

/** JSON: a pipeline's definition as it was when the pipeline was created, never rewritten (schema version 19; before, a column of its row). */
export interface PipelineDefinitionsTable {
  pipeline_id: string;
  definition: string;
}

/**
 * The last number handed out per base among stored keys, across projects
 * (schema version 11; since 12 it counts keys; see core/pipeline-id-numbers.ts).
 */
export interface PipelineIdCountersTable {
  base: string;
  last: number;
}

/** The last number handed out per base among a project's pipeline ids (schema version 12). */
export interface PipelineHandleCountersTable {
  project: string;
  base: string;
  last: number;
}

export interface PhaseRunsTable {
  id: Generated<number>;
  pipeline_id: string;
  run: number;
  phase: string;
  status: PhaseRunStatus;
  exit_code: number | null;
  error: string | null;
  /** Process group of a running shell phase, to end it after a daemon crash. */
  pgid: number | null;
  /** Start time of that group's leader (/proc/PID/stat field 22), to tell it from a stranger that reused the id; null where unknown. */
  pgid_start: number | null;
  log_path: string | null;
  started_at: number;
  finished_at: number | null;
}

export interface CheckpointsTable {
  id: Generated<number>;
  pipeline_id: string;
  phase: string | null;
  message: string;
  time: number;
}

export interface Database extends QueueTables, CoordinationTables, SessionTables, EscalationTables, MonitorTables {
  events: EventsTable;
  meta: MetaTable;
  pipelines: PipelinesTable;
  pipeline_definitions: PipelineDefinitionsTable;
  pipeline_id_counters: PipelineIdCountersTable;
  pipeline_handle_counters: PipelineHandleCountersTable;
  phase_runs: PhaseRunsTable;
  checkpoints: CheckpointsTable;
}
