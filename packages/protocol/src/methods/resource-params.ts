/**
 * The params locks.* and semaphores.* share: a lock or semaphore named in a
 * project (as a runbook writes it, or its qualified id), who holds it, and an
 * external holder's acquire. Not a method module: both import from here.
 */
import { z } from 'zod';

const project = z.string().min(1);
const name = z.string().min(1).max(300);
const holder = z.string().min(1).max(300);

/** A project's locks or semaphores (without one: every project's that have state). */
export const listParams = z.object({ project: project.optional() }).strict().optional();

/** One lock or semaphore. */
export const resourceParams = z.object({ project, name }).strict();

/** One lock or semaphore, as or for `holder`. */
export const holderParams = z.object({ project, name, holder }).strict();

/** An external holder's acquire; `extra` adds what one kind alone takes (a semaphore's weight). */
export function acquireParams<E extends z.ZodRawShape>(extra: E) {
  return z
    .object({
      project,
      name,
      holder,
      ...extra,
      /** Wait in line until it is granted (first come, first served). */
      wait: z.boolean().optional(),
      /** With `wait`: give up after this long (acquired = false). */
      timeoutMs: z.number().int().min(0).optional(),
    })
    .strict();
}

/** A force-release: whoever holds it, with the reason recorded. */
export const forceReleaseParams = z.object({ project, name, reason: z.string().optional() }).strict();
