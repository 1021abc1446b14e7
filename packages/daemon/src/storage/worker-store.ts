/** Persisted worker state (started/stopped) and cron schedules. */
import type { Selectable } from 'kysely';
import type { OpenedDatabase } from './database.js';
import type { CronsTable, WorkersTable } from './schema-queues.js';

/** A worker's stored state (the table has no generated columns: a row reads and writes the same). */
export type WorkerRow = Selectable<WorkersTable>;
/** A cron's stored schedule and last run. */
export type CronRow = Selectable<CronsTable>;

export class WorkerStore {
  constructor(private readonly store: OpenedDatabase) {}

  get(project: string, name: string): WorkerRow | undefined {
    const { db, runner } = this.store;
    return runner.first(db.selectFrom('workers').selectAll().where('project', '=', project).where('name', '=', name));
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

export class CronStore {
  constructor(private readonly store: OpenedDatabase) {}

  get(project: string, name: string): CronRow | undefined {
    const { db, runner } = this.store;
    return runner.first(db.selectFrom('crons').selectAll().where('project', '=', project).where('name', '=', name));
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
    const { db, runner } = this.store;
    const { project, name, ...rest } = row;
    runner.run(
      db
        .insertInto('crons')
        .values(row)
        .onConflict((oc) => oc.columns(['project', 'name']).doUpdateSet(rest)),
    );
  }
}
