/** Escalation records. */
import type { EscalationMethods } from '@oj/protocol';
import type { Insertable, Selectable } from 'kysely';
import type { OpenedDatabase } from './database.js';
import type { PreparedQuery } from './prepared-query.js';
import type { EscalationsTable } from './schema-escalations.js';

export type EscalationRow = Selectable<EscalationsTable>;

export class EscalationStore {
  /** Asked at every step of every pipeline (a step supersedes its open escalations): compiled once. */
  private readonly open: PreparedQuery<{ pipelineId: string }, EscalationRow>;

  constructor(private readonly store: OpenedDatabase) {
    this.open = store.runner.prepared(
      (a: { pipelineId: string }) => store.db.selectFrom('escalations').selectAll().where('pipeline_id', '=', a.pipelineId).where('status', '=', 'open'),
      { pipelineId: true },
    );
  }

  insert(row: Insertable<EscalationsTable>): number {
    return this.store.runner.run(this.store.db.insertInto('escalations').values(row)).lastInsertRowid;
  }

  get(id: number): EscalationRow | undefined {
    return this.store.runner.first(this.store.db.selectFrom('escalations').selectAll().where('id', '=', id));
  }

  list(f: { project?: string | undefined; status?: EscalationMethods.EscalationStatus | undefined } = {}): EscalationRow[] {
    let q = this.store.db.selectFrom('escalations').selectAll();
    if (f.project) q = q.where('project', '=', f.project);
    if (f.status) q = q.where('status', '=', f.status);
    return this.store.runner.all(q.orderBy('id', 'desc').limit(500));
  }

  openFor(pipelineId: string): EscalationRow[] {
    return this.open.all({ pipelineId });
  }

  resolve(id: number, resolution: string, note: string | null, now: number): void {
    this.store.runner.run(
      this.store.db
        .updateTable('escalations')
        .set({ status: 'resolved', resolution, note, resolved_at: now })
        .where('id', '=', id)
        .where('status', '=', 'open'),
    );
  }

  bump(id: number, now: number): void {
    const row = this.get(id);
    if (!row) return;
    this.store.runner.run(this.store.db.updateTable('escalations').set({ bumped_at: now, bumps: row.bumps + 1 }).where('id', '=', id));
  }
}
