/** Pipeline id counters (see core/pipeline-id-numbers.ts): a constant number of indexed queries per new id. */
import { highestNumber, type IdCounter } from '../core/pipeline-id-numbers.js';
import type { OpenedDatabase } from './database.js';
import { sql } from './kysely.js';

export class PipelineIdStore implements IdCounter {
  constructor(private readonly store: OpenedDatabase) {}

  last(base: string): number | null {
    const row = this.store.runner.first(this.store.db.selectFrom('pipeline_id_counters').select('last').where('base', '=', base));
    return row ? row.last : null;
  }

  /** Reads only the ids from `base` up to `base.` (the primary key's range holding `base` and every `base-...`). */
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
