/**
 * Pipeline id counters (see core/pipeline-id-numbers.ts): a constant number of
 * indexed queries per new pipeline. `handles(project)` counts a project's
 * ids (its handles); `keys` counts the stored keys across projects.
 */
import { highestNumber, type IdCounter } from '../core/pipeline-id-numbers.js';
import type { OpenedDatabase } from './database.js';
import { sql } from './kysely.js';

export class PipelineIdStore implements IdCounter {
  constructor(private readonly store: OpenedDatabase) {}

  /** The counter of one project's ids. */
  handles(project: string): IdCounter {
    return new ProjectHandleCounter(this.store, project);
  }

  // ---- keys, across projects (the IdCounter of the stored keys)

  last(base: string): number | null {
    const row = this.store.runner.first(this.store.db.selectFrom('pipeline_id_counters').select('last').where('base', '=', base));
    return row ? row.last : null;
  }

  /** Reads only the keys from `base` up to `base.` (the primary key's range holding `base` and every `base-...`). */
  highestExisting(base: string): number {
    const rows = this.store.runner.all(
      this.store.db.selectFrom('pipelines').select('id').where('id', '>=', base).where('id', '<', `${base}.`),
    );
    return highestNumber(
      base,
      rows.map((r) => r.id),
    );
  }

  taken(id: string): boolean {
    return this.store.runner.first(this.store.db.selectFrom('pipelines').select('id').where('id', '=', id)) !== undefined;
  }

  remember(base: string, n: number): void {
    this.store.runner.run(
      this.store.db
        .insertInto('pipeline_id_counters')
        .values({ base, last: n })
        .onConflict((oc) => oc.column('base').doUpdateSet({ last: sql`max(pipeline_id_counters.last, excluded.last)` })),
    );
  }
}

/** One project's ids: the (project, handle) index and the project's counters. */
class ProjectHandleCounter implements IdCounter {
  constructor(
    private readonly store: OpenedDatabase,
    private readonly project: string,
  ) {}

  last(base: string): number | null {
    const row = this.store.runner.first(
      this.store.db.selectFrom('pipeline_handle_counters').select('last').where('project', '=', this.project).where('base', '=', base),
    );
    return row ? row.last : null;
  }

  highestExisting(base: string): number {
    const rows = this.store.runner.all(
      this.store.db
        .selectFrom('pipelines')
        .select('handle')
        .where('project', '=', this.project)
        .where('handle', '>=', base)
        .where('handle', '<', `${base}.`),
    );
    return highestNumber(
      base,
      rows.map((r) => r.handle),
    );
  }

  taken(handle: string): boolean {
    return (
      this.store.runner.first(
        this.store.db.selectFrom('pipelines').select('id').where('project', '=', this.project).where('handle', '=', handle),
      ) !== undefined
    );
  }

  remember(base: string, n: number): void {
    this.store.runner.run(
      this.store.db
        .insertInto('pipeline_handle_counters')
        .values({ project: this.project, base, last: n })
        .onConflict((oc) =>
          oc.columns(['project', 'base']).doUpdateSet({ last: sql`max(pipeline_handle_counters.last, excluded.last)` }),
        ),
    );
  }
}
