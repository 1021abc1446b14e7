/** Persisted worker state (started/stopped) and cron schedules. */
import type { OpenedDatabase } from './database.js';
import type { CronsTable, WorkersTable } from './schema-queues.js';

export class WorkerStore {
  constructor(private readonly store: OpenedDatabase) {}

  get(project: string, name: string): WorkersTable | undefined {
    const { db, runner } = this.store;
    return runner.first(db.selectFrom('workers').selectAll().where('project', '=', project).where('name', '=', name));
  }

  list(project?: string): WorkersTable[] {
    const { db, runner } = this.store;
    let q = db.selectFrom('workers').selectAll();
    if (project !== undefined) q = q.where('project', '=', project);
    return runner.all(q.orderBy('project').orderBy('name'));
  }

  started(): WorkersTable[] {
    const { db, runner } = this.store;
    return runner.all(db.selectFrom('workers').selectAll().where('status', '=', 'started'));
  }

  save(row: WorkersTable): void {
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

  get(project: string, name: string): CronsTable | undefined {
    const { db, runner } = this.store;
    return runner.first(db.selectFrom('crons').selectAll().where('project', '=', project).where('name', '=', name));
  }

  list(project?: string): CronsTable[] {
    const { db, runner } = this.store;
    let q = db.selectFrom('crons').selectAll();
    if (project !== undefined) q = q.where('project', '=', project);
    return runner.all(q.orderBy('project').orderBy('name'));
  }

  enabled(): CronsTable[] {
    const { db, runner } = this.store;
    return runner.all(db.selectFrom('crons').selectAll().where('enabled', '=', 1));
  }

  save(row: CronsTable): void {
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
