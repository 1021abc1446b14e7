/**
 * Looking a pipeline up by what a user typed: its id in a project, its key
 * (unique across projects) or a unique prefix of either (see
 * PipelineEngine.resolve).
 */
import { ErrorCode, OjError } from '@oj/protocol';
import type { PipelineStore } from '../storage/pipeline-store.js';
import { resolveByPrefix } from './id-lookup.js';

/** The key of the pipeline `given` names in `project`: its id there (or a unique prefix of one), or its key. */
export function keyInProject(store: PipelineStore, given: string, project: string): string {
  const own = (column: 'handle' | 'id') => store.lookup(column, given, { project, limit: 1 })[0];
  const exact = own('handle') ?? own('id');
  if (exact) return exact.key;
  try {
    const handle = resolveByPrefix(
      'pipeline',
      given,
      () => false,
      (p) => store.lookup('handle', p, { project, prefix: true }).map((r) => r.handle),
      () => store.allIds(project),
    );
    return store.lookup('handle', handle, { project, limit: 1 })[0]!.key;
  } catch (err) {
    const elsewhere = store.lookup('id', given, { limit: 1 })[0] ?? store.lookup('handle', given, { limit: 1 })[0];
    if (elsewhere && err instanceof OjError && err.code === ErrorCode.NotFound) {
      throw OjError.notFound('pipeline', given, {
        hint: `${given} belongs to the project ${elsewhere.project}: run the command there, or add --all-projects`,
      });
    }
    throw err;
  }
}

/** The key of the pipeline `given` names in any project: a key, else an id (ambiguous in several projects), else a unique prefix of a key. */
export function keyAnywhere(store: PipelineStore, given: string): string {
  const byKey = store.lookup('id', given, { limit: 1 })[0];
  if (byKey) return byKey.key;
  const byId = store.lookup('handle', given);
  if (byId.length === 1) return byId[0]!.key;
  if (byId.length > 1) {
    const candidates = byId.map((r) => r.key);
    throw new OjError(ErrorCode.Ambiguous, `pipeline "${given}" is ambiguous: ${byId.length} projects have a pipeline of that id`, {
      kind: 'ambiguous',
      what: 'pipeline',
      id: given,
      candidates,
      hint: `name it by its key: ${byId.slice(0, 8).map((r) => `${r.key} (${r.project})`).join(', ')}; or run the command in its project`,
    });
  }
  return resolveByPrefix(
    'pipeline',
    given,
    () => false,
    (p) => store.lookup('id', p, { prefix: true }).map((r) => r.key),
    () => store.allIds(),
  );
}
