/** Agent session rows: which session belongs to which pipeline phase, and how it ended. */
import type { SessionMethods } from '@oj/protocol';
import type { Insertable, Selectable } from 'kysely';
import type { OpenedDatabase } from './database.js';
import type { SessionsTable } from './schema-sessions.js';

export type SessionRow = Selectable<SessionsTable>;

export class SessionStore {
  constructor(private readonly store: OpenedDatabase) {}

  insert(row: Insertable<SessionsTable>): void {
    this.store.runner.run(this.store.db.insertInto('sessions').values(row));
  }

  get(id: string): SessionRow | undefined {
    return this.store.runner.first(this.store.db.selectFrom('sessions').selectAll().where('id', '=', id));
  }

  /** The running session of a pipeline's phase, if any (a restarted daemon adopts it). */
  runningFor(pipelineId: string, phase: string): SessionRow | undefined {
    return this.store.runner.first(
      this.store.db
        .selectFrom('sessions')
        .selectAll()
        .where('pipeline_id', '=', pipelineId)
        .where('phase', '=', phase)
        .where('status', '=', 'running')
        .orderBy('started_at', 'desc'),
    );
  }

  latestFor(pipelineId: string): SessionRow | undefined {
    return this.store.runner.first(
      this.store.db.selectFrom('sessions').selectAll().where('pipeline_id', '=', pipelineId).orderBy('started_at', 'desc'),
    );
  }

  ended(id: string, status: Exclude<SessionMethods.SessionStatus, 'running'>, exitCode: number | null, now: number): void {
    this.store.runner.run(
      this.store.db
        .updateTable('sessions')
        .set({ status, exit_code: exitCode, ended_at: now })
        .where('id', '=', id)
        .where('status', '=', 'running'),
    );
  }

  list(filter: { project?: string | undefined; running?: boolean } = {}): SessionRow[] {
    let q = this.store.db.selectFrom('sessions').selectAll();
    if (filter.project) q = q.where('project', '=', filter.project);
    if (filter.running) q = q.where('status', '=', 'running');
    return this.store.runner.all(q.orderBy('started_at', 'desc').limit(500));
  }

  idsWithPrefix(prefix: string): string[] {
    return this.store.runner
      .all(this.store.db.selectFrom('sessions').select('id').where('id', '>=', prefix).where('id', '<', prefix + '\uffff').limit(20))
      .map((r) => r.id);
  }

  /** Running sessions whose id starts with `prefix` (they win a prefix over ended ones). */
  runningIdsWithPrefix(prefix: string): string[] {
    return this.store.runner
      .all(
        this.store.db
          .selectFrom('sessions')
          .select('id')
          .where('id', '>=', prefix)
          .where('id', '<', prefix + '\uffff')
          .where('status', '=', 'running')
          .limit(20),
      )
      .map((r) => r.id);
  }

  allIds(): string[] {
    return this.store.runner.all(this.store.db.selectFrom('sessions').select('id')).map((r) => r.id);
  }

  exists(id: string): boolean {
    return this.get(id) !== undefined;
  }
}
