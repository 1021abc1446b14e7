/** Finding a project's queue, worker or cron by the name the CLI gives, with did-you-mean errors. */
import { ErrorCode, OjError } from '@oj/protocol';
import type { ProjectRegistry } from './project-registry.js';
import { didYouMean } from '../runbook/did-you-mean.js';
import { LookupError, type Project } from '../runbook/index.js';
import type { PrimitiveByKind } from '../runbook/model.js';

type Named = 'queue' | 'worker' | 'cron';

/** The primitive, or undefined when the project does not define it (or does not load). */
export function tryFind<K extends Named>(projects: ProjectRegistry, root: string, kind: K, name: string): PrimitiveByKind[K] | undefined {
  const project = projects.peek(root);
  if (!project) return undefined;
  try {
    return project.find(kind, name);
  } catch {
    return undefined;
  }
}

export function requireFind<K extends Named>(
  projects: ProjectRegistry,
  root: string,
  kind: K,
  name: string,
): { project: Project; value: PrimitiveByKind[K] } {
  const project = projects.get(root);
  let value: PrimitiveByKind[K] | undefined;
  try {
    value = project.find(kind, name);
  } catch (err) {
    if (err instanceof LookupError) {
      throw new OjError(err.reason === 'ambiguous' ? ErrorCode.Ambiguous : ErrorCode.BadArguments, err.message, {
        kind: err.reason === 'ambiguous' ? 'ambiguous' : 'bad_arguments',
        ...(err.hint ? { hint: err.hint } : {}),
      });
    }
    throw err;
  }
  if (!value) {
    const names = project.all(kind).map((p) => p.name);
    const guess = didYouMean(name, names);
    throw OjError.notFound(kind, name, {
      hint: guess ?? (names.length ? `${kind}s: ${names.join(', ')}` : `this project defines no ${kind}s`),
    });
  }
  return { project, value };
}
