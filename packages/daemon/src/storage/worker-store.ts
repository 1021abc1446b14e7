/** Persisted worker state (started/stopped) and cron schedules. */
import type { Selectable } from 'kysely';
import type { OpenedDatabase } from './database.js';
import type { PreparedQuery } from './prepared-query.js';
import type { CronsTable, WorkersTable } from './schema-queues.js';

/** A worker's stored state (the table has no generated columns: a row reads and writes the same). */
export type WorkerRow = Selectable<WorkersTable>;
/** A cron's stored schedule and last run. */
export type CronRow = Selectable<CronsTable>;

export class WorkerStore {
  /** What every fill of a worker reads: built and compiled once (prepared-query.ts). */
  private readonly byName: PreparedQuery<{ project: string; name: string }, WorkerRow>;

  constructor(private readonly store: OpenedDatabase) {
    this.byName = store.runner.prepared((a: { project: string; name: string }) =>
      store.db.selectFrom('workers').selectAll().where('project', '=', a.project).where('name', '=', a.name),
    );
  }

  get(project: string, name: string): WorkerRow | undefined {
    return this.byName.first({ project, name });
  }

  list(project?: string): WorkerRow[] {
    const { db, runner } = this.store;
    let q = db.selectFrom('workers').selectAll();
    if (project !== undefined) q = q.where('project', '=', project);
    return runner.all(q.orderBy('project').orderBy('name'));
  }

  started(): WorkerRow[] {
    const { db, runner } = this.store;
    return runner.all(db.selectFrom('workers').selectAll().where('status', '=', 'started'));
  }

  save(row: WorkerRow): void {
    const { db, runner } = this.store;
    const { project, name, ...rest } = row;
    runner.run(
      db
        .insertInto('workers')
        .values(row)
        .onConflict((oc) => oc.columns(['project', 'name']).doUpdateSet(rest)),
    );
  }
}

/** Every column of a cron's row (the compiler checks the list is complete). */
const CRON_COLUMNS = {
  project: true,
  name: true,
  enabled: true,
  schedule_key: true,
  next_due_at: true,
  catch_up_until: true,
  last_run_at: true,
  last_outcome: true,
  last_error: true,
  last_pipeline: true,
  runs: true,
  changed_at: true,
} as const satisfies Record<keyof CronRow, true>;

export class CronStore {
  /** The statements of every cron tick (a read and a write of its row): built and compiled once (prepared-query.ts). */
  private readonly byName: PreparedQuery<{ project: string; name: string }, CronRow>;
  private readonly upsert: PreparedQuery<CronRow, unknown>;

  constructor(private readonly store: OpenedDatabase) {
    this.byName = store.runner.prepared((a: { project: string; name: string }) =>
      store.db.selectFrom('crons').selectAll().where('project', '=', a.project).where('name', '=', a.name),
    );
    this.upsert = store.runner.prepared((row: CronRow) => {
      const { project: _project, name: _name, ...rest } = row;
      return store.db
        .insertInto('crons')
        .values(row)
        .onConflict((oc) => oc.columns(['project', 'name']).doUpdateSet(rest));
    }, CRON_COLUMNS);
  }

  get(project: string, name: string): CronRow | undefined {
    return this.byName.first({ project, name });
  }

  list(project?: string): CronRow[] {
    const { db, runner } = this.store;
    let q = db.selectFrom('crons').selectAll();
    if (project !== undefined) q = q.where('project', '=', project);
    return runner.all(q.orderBy('project').orderBy('name'));
  }

  enabled(): CronRow[] {
    const { db, runner } = this.store;
    return runner.all(db.selectFrom('crons').selectAll().where('enabled', '=', 1));
  }

  save(row: CronRow): void {
    this.upsert.run(row);
  }
}
