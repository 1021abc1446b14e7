/**
 * Strategy runs and their attempts. A run is 'active' from the phase visit
 * that starts it until it succeeds, is exhausted or is stopped; a daemon
 * restart finds it still active and resumes it at the attempt it was on,
 * with the checkpoint it took the first time.
 */
import type { Selectable } from 'kysely';
import type { StrategyAttemptStatus, StrategyRunStatus } from '../core/coordination/guard-strategy-states.js';
import type { OpenedDatabase } from './database.js';
import type { StrategyRunsTable } from './schema-coordination.js';

export type { StrategyAttemptStatus, StrategyRunStatus };

export interface StrategyRunRow {
  id: number;
  pipelineId: string;
  phase: string;
  strategy: string;
  status: StrategyRunStatus;
  checkpoint: string | null;
  checkpointTaken: boolean;
  attempt: number;
  exhaust: string;
  startedAt: number;
  updatedAt: number;
}

export interface AttemptRow {
  id: number;
  runId: number;
  attempt: number;
  name: string;
  status: StrategyAttemptStatus;
  error: string | null;
  rollback: string | null;
  startedAt: number;
  finishedAt: number | null;
}

export class StrategyStore {
  constructor(private readonly store: OpenedDatabase) {}

  private get db() {
    return this.store.db;
  }
  private get runner() {
    return this.store.runner;
  }

  /** The active run of a pipeline's phase, if one was under way. */
  active(pipelineId: string, phase: string): StrategyRunRow | undefined {
    const row = this.runner.first(
      this.db
        .selectFrom('strategy_runs')
        .selectAll()
        .where('pipeline_id', '=', pipelineId)
        .where('phase', '=', phase)
        .where('status', '=', 'active')
        .orderBy('id', 'desc'),
    );
    return row ? runRow(row) : undefined;
  }

  allActive(): StrategyRunRow[] {
    return this.runner.all(this.db.selectFrom('strategy_runs').selectAll().where('status', '=', 'active')).map(runRow);
  }

  start(pipelineId: string, phase: string, strategy: string, now: number): StrategyRunRow {
    const { lastInsertRowid } = this.runner.run(
      this.db.insertInto('strategy_runs').values({
        pipeline_id: pipelineId,
        phase,
        strategy,
        status: 'active',
        checkpoint: null,
        checkpoint_taken: 0,
        attempt: 0,
        exhaust: '{}',
        started_at: now,
        updated_at: now,
      }),
    );
    return this.get(lastInsertRowid)!;
  }

  get(id: number): StrategyRunRow | undefined {
    const row = this.runner.first(this.db.selectFrom('strategy_runs').selectAll().where('id', '=', id));
    return row ? runRow(row) : undefined;
  }

  update(
    id: number,
    patch: Partial<{ status: StrategyRunStatus; checkpoint: string | null; checkpointTaken: boolean; attempt: number; exhaust: string }>,
    now: number,
  ): void {
    this.runner.run(
      this.db
        .updateTable('strategy_runs')
        .set({
          updated_at: now,
          ...(patch.status !== undefined ? { status: patch.status } : {}),
          ...(patch.checkpoint !== undefined ? { checkpoint: patch.checkpoint } : {}),
          ...(patch.checkpointTaken !== undefined ? { checkpoint_taken: patch.checkpointTaken ? 1 : 0 } : {}),
          ...(patch.attempt !== undefined ? { attempt: patch.attempt } : {}),
          ...(patch.exhaust !== undefined ? { exhaust: patch.exhaust } : {}),
        })
        .where('id', '=', id),
    );
  }

  startAttempt(runId: number, attempt: number, name: string, now: number): number {
    return this.runner.run(
      this.db.insertInto('strategy_attempts').values({
        strategy_run_id: runId,
        attempt,
        name,
        status: 'running',
        error: null,
        rollback: null,
        started_at: now,
        finished_at: null,
      }),
    ).lastInsertRowid;
  }

  finishAttempt(id: number, status: StrategyAttemptStatus, error: string | null, now: number): void {
    this.runner.run(
      this.db.updateTable('strategy_attempts').set({ status, error, finished_at: now }).where('id', '=', id),
    );
  }

  setRollback(id: number, outcome: string): void {
    this.runner.run(this.db.updateTable('strategy_attempts').set({ rollback: outcome }).where('id', '=', id));
  }

  attempts(runId: number): AttemptRow[] {
    return this.runner
      .all(this.db.selectFrom('strategy_attempts').selectAll().where('strategy_run_id', '=', runId).orderBy('id'))
      .map((r) => ({
        id: r.id,
        runId: r.strategy_run_id,
        attempt: r.attempt,
        name: r.name,
        status: r.status,
        error: r.error,
        rollback: r.rollback,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
      }));
  }

  /** Every run of a pipeline, oldest first. */
  runsOf(pipelineId: string): StrategyRunRow[] {
    return this.runner
      .all(this.db.selectFrom('strategy_runs').selectAll().where('pipeline_id', '=', pipelineId).orderBy('id'))
      .map(runRow);
  }
}

function runRow(r: Selectable<StrategyRunsTable>): StrategyRunRow {
  return {
    id: r.id,
    pipelineId: r.pipeline_id,
    phase: r.phase,
    strategy: r.strategy,
    status: r.status,
    checkpoint: r.checkpoint,
    checkpointTaken: r.checkpoint_taken === 1,
    attempt: r.attempt,
    exhaust: r.exhaust,
    startedAt: r.started_at,
    updatedAt: r.updated_at,
  };
}
