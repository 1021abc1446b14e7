/**
 * Guards that are waiting: when the wait began (for `timeout`), how many
 * checks failed (for `retry.max`) and how far `on_timeout` has gone. A row
 * lives from a guard's first failed check until it passes or its phase ends,
 * so a daemon restart neither resets a timeout nor grants fresh retries.
 */
import type { Selectable } from 'kysely';
import type { GuardStage } from '../core/coordination/guard-strategy-states.js';
import type { OpenedDatabase } from './database.js';
import type { GuardWaitsTable } from './schema-coordination.js';

export type { GuardStage };

export interface GuardWaitKey {
  pipelineId: string;
  phase: string;
  guard: string;
  stage: GuardStage;
}

export interface GuardWaitRow extends GuardWaitKey {
  startedAt: number;
  checks: number;
  timeouts: string;
  lastError: string | null;
}

export class GuardStore {
  constructor(private readonly store: OpenedDatabase) {}

  private get db() {
    return this.store.db;
  }
  private get runner() {
    return this.store.runner;
  }

  get(k: GuardWaitKey): GuardWaitRow | undefined {
    const r = this.runner.first(
      this.db
        .selectFrom('guard_waits')
        .selectAll()
        .where('pipeline_id', '=', k.pipelineId)
        .where('phase', '=', k.phase)
        .where('guard', '=', k.guard)
        .where('stage', '=', k.stage),
    );
    return r ? fromRow(r) : undefined;
  }

  upsert(row: GuardWaitRow): void {
    this.runner.run(
      this.db
        .insertInto('guard_waits')
        .values({
          pipeline_id: row.pipelineId,
          phase: row.phase,
          guard: row.guard,
          stage: row.stage,
          started_at: row.startedAt,
          checks: row.checks,
          timeouts: row.timeouts,
          last_error: row.lastError,
        })
        .onConflict((oc) =>
          oc.columns(['pipeline_id', 'phase', 'guard', 'stage']).doUpdateSet({
            started_at: row.startedAt,
            checks: row.checks,
            timeouts: row.timeouts,
            last_error: row.lastError,
          }),
        ),
    );
  }

  delete(k: GuardWaitKey): void {
    this.runner.run(
      this.db
        .deleteFrom('guard_waits')
        .where('pipeline_id', '=', k.pipelineId)
        .where('phase', '=', k.phase)
        .where('guard', '=', k.guard)
        .where('stage', '=', k.stage),
    );
  }

  /** Every waiting guard of a pipeline's phase (or of every phase). */
  of(pipelineId: string, phase?: string): GuardWaitRow[] {
    let q = this.db.selectFrom('guard_waits').selectAll().where('pipeline_id', '=', pipelineId);
    if (phase !== undefined) q = q.where('phase', '=', phase);
    return this.runner.all(q).map(fromRow);
  }

  all(): GuardWaitRow[] {
    return this.runner.all(this.db.selectFrom('guard_waits').selectAll()).map(fromRow);
  }
}

function fromRow(r: Selectable<GuardWaitsTable>): GuardWaitRow {
  return {
    pipelineId: r.pipeline_id,
    phase: r.phase,
    guard: r.guard,
    stage: r.stage,
    startedAt: r.started_at,
    checks: r.checks,
    timeouts: r.timeouts,
    lastError: r.last_error,
  };
}
