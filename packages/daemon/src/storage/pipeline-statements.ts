/**
 * The statements every step of a pipeline runs (reading its row, saving it,
 * starting and finishing a phase run, recording a run's process group),
 * built and compiled by kysely once and run as prepared statements
 * (prepared-query.ts): kysely's build and compile cost several times what
 * SQLite spends on each of them, and a 200-phase pipeline runs each 200 times.
 */
import type { Insertable, Selectable } from 'kysely';
import type { PhaseRunStatus } from '@oj/protocol';
import type { OpenedDatabase } from './database.js';
import type { PreparedQuery } from './prepared-query.js';
import type { PipelinesTable } from './schema.js';

/** A pipeline's row (its definition is in pipeline_definitions: read once, see PipelineStore.get). */
export type PipelineStateRow = Selectable<PipelinesTable>;

/** What saving a pipeline writes: every column of its row. */
export type PipelineSaveRow = Required<Insertable<PipelinesTable>>;

/** Every column of a pipeline's row. */
const STATE_COLUMNS = {
  id: true,
  handle: true,
  project: true,
  runbook: true,
  name: true,
  status: true,
  phase: true,
  run: true,
  visits: true,
  recovery: true,
  waiting_for: true,
  error: true,
  failure_count: true,
  vars: true,
  workspace: true,
  label: true,
  archived: true,
  owner: true,
  created_at: true,
  updated_at: true,
  phase_started_at: true,
  finished_at: true,
  session: true,
} as const satisfies Record<keyof PipelineStateRow, true>;

const STATE_COLUMN_NAMES = Object.keys(STATE_COLUMNS) as (keyof PipelineStateRow)[];

/** The columns a step of a pipeline's machine changes (its PipelineState), but its status. */
export type PipelineStepRow = Pick<
  PipelineSaveRow,
  'id' | 'phase' | 'run' | 'visits' | 'recovery' | 'waiting_for' | 'error' | 'failure_count' | 'updated_at' | 'phase_started_at' | 'finished_at'
>;

const STEP_COLUMNS = {
  id: true,
  phase: true,
  run: true,
  visits: true,
  recovery: true,
  waiting_for: true,
  error: true,
  failure_count: true,
  updated_at: true,
  phase_started_at: true,
  finished_at: true,
} as const satisfies Record<keyof PipelineStepRow, true>;

interface RunKey {
  pipeline_id: string;
  run: number;
}

export class PipelineStatements {
  readonly stateOf: PreparedQuery<{ id: string }, PipelineStateRow>;
  readonly definitionOf: PreparedQuery<{ id: string }, { definition: string }>;
  readonly insertDefinition: PreparedQuery<{ pipeline_id: string; definition: string }, unknown>;
  readonly save: PreparedQuery<PipelineSaveRow, unknown>;
  /**
   * A step of the machine: only its columns, so SQLite leaves alone the
   * indexes of the columns it does not set (a SET naming a column rewrites
   * its indexes' entries, changed or not: a page of the WAL each). The
   * status, in two indexes, only when it changes (saveStatus).
   */
  readonly saveStep: PreparedQuery<PipelineStepRow, unknown>;
  readonly saveStatus: PreparedQuery<PipelineStepRow & Pick<PipelineSaveRow, 'status'>, unknown>;
  readonly startRun: PreparedQuery<RunKey & { phase: string; log_path: string | null; started_at: number }, unknown>;
  readonly finishRun: PreparedQuery<RunKey & { status: PhaseRunStatus; exit_code: number | null; error: string | null; finished_at: number }, unknown>;
  readonly setRunPgid: PreparedQuery<RunKey & { pgid: number; pgid_start: number | null }, unknown>;

  constructor({ runner, db }: OpenedDatabase) {
    this.stateOf = runner.prepared((a: { id: string }) => db.selectFrom('pipelines').select(STATE_COLUMN_NAMES).where('id', '=', a.id), { id: true });
    this.definitionOf = runner.prepared((a: { id: string }) => db.selectFrom('pipeline_definitions').select('definition').where('pipeline_id', '=', a.id), {
      id: true,
    });
    this.insertDefinition = runner.prepared((a: { pipeline_id: string; definition: string }) => db.insertInto('pipeline_definitions').values(a), {
      pipeline_id: true,
      definition: true,
    });
    this.save = runner.prepared((a: PipelineSaveRow) => {
      const { id, ...row } = a;
      return db.updateTable('pipelines').set(row).where('id', '=', id);
    }, STATE_COLUMNS);
    this.saveStep = runner.prepared((a: PipelineStepRow) => {
      const { id, ...row } = a;
      return db.updateTable('pipelines').set(row).where('id', '=', id);
    }, STEP_COLUMNS);
    this.saveStatus = runner.prepared(
      (a: PipelineStepRow & Pick<PipelineSaveRow, 'status'>) => {
        const { id, ...row } = a;
        return db.updateTable('pipelines').set(row).where('id', '=', id);
      },
      { ...STEP_COLUMNS, status: true },
    );
    this.startRun = runner.prepared(
      (a: RunKey & { phase: string; log_path: string | null; started_at: number }) =>
        db.insertInto('phase_runs').values({ pipeline_id: a.pipeline_id, run: a.run, phase: a.phase, status: 'running', log_path: a.log_path, started_at: a.started_at }),
      { pipeline_id: true, run: true, phase: true, log_path: true, started_at: true },
    );
    this.finishRun = runner.prepared(
      (a: RunKey & { status: PhaseRunStatus; exit_code: number | null; error: string | null; finished_at: number }) =>
        db
          .updateTable('phase_runs')
          .set({ status: a.status, exit_code: a.exit_code, error: a.error, finished_at: a.finished_at, pgid: null, pgid_start: null })
          .where('pipeline_id', '=', a.pipeline_id)
          .where('run', '=', a.run)
          .where('status', '=', 'running'),
      { pipeline_id: true, run: true, status: true, exit_code: true, error: true, finished_at: true },
    );
    this.setRunPgid = runner.prepared(
      (a: RunKey & { pgid: number; pgid_start: number | null }) =>
        db.updateTable('phase_runs').set({ pgid: a.pgid, pgid_start: a.pgid_start }).where('pipeline_id', '=', a.pipeline_id).where('run', '=', a.run),
      { pipeline_id: true, run: true, pgid: true, pgid_start: true },
    );
  }
}
