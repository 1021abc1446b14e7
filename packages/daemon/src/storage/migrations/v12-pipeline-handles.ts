/**
 * Schema version 12: pipeline ids per project. A pipeline's id (its handle)
 * is unique within its project: the first `build auth` of every project is
 * `build-auth`. The `id` column stays the stored key, unique across projects
 * (every other table refers to it): for pipelines from before, and whenever
 * no pipeline anywhere ever had it, the key is the handle itself; otherwise
 * `<handle>.<project tag>` (see engine/pipeline-ids.ts).
 *
 * Every existing pipeline keeps its id as its handle (ids were unique across
 * all projects, so they are unique within each). Each project that has
 * pipelines of a base gets that base's counter as it stood (the highest
 * number handed out anywhere), so no number a project may have used before
 * (a pruned pipeline's) is handed out again in it. `pipeline_id_counters`
 * stays: it now counts the keys.
 */
import type { Migration } from '../migrations.js';

const raw = (text: string) => ({ compile: () => ({ sql: text }) });

export const pipelineHandlesMigration: Migration = {
  version: 12,
  name: 'pipeline ids per project',
  up: (db) => [
    db.schema.alterTable('pipelines').addColumn('handle', 'text', (c) => c.notNull().defaultTo('')),
    raw('UPDATE pipelines SET handle = id'),
    // (handle, project): serves lookups of an id in one project and in all of them.
    db.schema.createIndex('pipelines_handle').on('pipelines').columns(['handle', 'project']).unique(),
    db.schema
      .createTable('pipeline_handle_counters')
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('base', 'text', (c) => c.notNull())
      .addColumn('last', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('pipeline_handle_counters_pk', ['project', 'base']),
    // A project's pipelines of base b are `b` and `b-...`: the range [b, b.) of the handle index.
    raw(
      `INSERT INTO pipeline_handle_counters (project, base, last)
       SELECT DISTINCT p.project, c.base, c.last FROM pipeline_id_counters c
       JOIN pipelines p ON p.handle >= c.base AND p.handle < c.base || '.'`,
    ),
  ],
};
