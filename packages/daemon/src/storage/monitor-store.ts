/** Monitor chain state per (project, monitor, item). */
import type { Selectable } from 'kysely';
import type { OpenedDatabase } from './database.js';
import type { MonitorItemsTable } from './schema-monitors.js';

export type MonitorItemRow = Selectable<MonitorItemsTable>;

export class MonitorStore {
  constructor(private readonly store: OpenedDatabase) {}

  get(project: string, monitor: string, key: string): MonitorItemRow | undefined {
    const { db, runner } = this.store;
    return runner.first(
      db.selectFrom('monitor_items').selectAll().where('project', '=', project).where('monitor', '=', monitor).where('item_key', '=', key),
    );
  }

  list(f: { project?: string | undefined; monitor?: string | undefined } = {}): MonitorItemRow[] {
    const { db, runner } = this.store;
    let q = db.selectFrom('monitor_items').selectAll();
    if (f.project !== undefined) q = q.where('project', '=', f.project);
    if (f.monitor !== undefined) q = q.where('monitor', '=', f.monitor);
    return runner.all(q.orderBy('project').orderBy('monitor').orderBy('item_key'));
  }

  save(row: MonitorItemRow): void {
    const { db, runner } = this.store;
    const { project, monitor, item_key, ...rest } = row;
    runner.run(
      db
        .insertInto('monitor_items')
        .values(row)
        .onConflict((oc) => oc.columns(['project', 'monitor', 'item_key']).doUpdateSet(rest)),
    );
  }

  delete(project: string, monitor: string, key: string): void {
    const { db, runner } = this.store;
    runner.run(db.deleteFrom('monitor_items').where('project', '=', project).where('monitor', '=', monitor).where('item_key', '=', key));
  }

  /** Rows of monitors the project no longer defines. */
  deleteExcept(project: string, monitors: string[]): number {
    const { db, runner } = this.store;
    let q = db.deleteFrom('monitor_items').where('project', '=', project);
    if (monitors.length) q = q.where('monitor', 'not in', monitors);
    return runner.run(q).changes;
  }
}
