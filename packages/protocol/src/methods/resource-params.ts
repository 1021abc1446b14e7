/**
 * The params locks.* and semaphores.* share: a lock or semaphore named in a
 * project (as a runbook writes it, or its qualified id), who holds it, and an
 * external holder's acquire. Not a method module: both import from here.
 */
import { z } from 'zod';
import { once } from '../once.js';

const project = once(() => z.string().min(1));
const name = once(() => z.string().min(1).max(300));
const holder = once(() => z.string().min(1).max(300));

/** A project's locks or semaphores (without one: every project's that have state). */
export const listParams = once(() => z.object({ project: project().optional() }).strict().optional());

/** One lock or semaphore. */
export const resourceParams = once(() => z.object({ project: project(), name: name() }).strict());

/** One lock or semaphore, as or for `holder`. */
export const holderParams = once(() => z.object({ project: project(), name: name(), holder: holder() }).strict());

/** An external holder's acquire; `extra` adds what one kind alone takes (a semaphore's weight). */
export function acquireParams<E extends z.ZodRawShape>(extra: E) {
  return z
    .object({
      project: project(),
      name: name(),
      holder: holder(),
      ...extra,
      /** Wait in line until it is granted (first come, first served). */
      wait: z.boolean().optional(),
      /** With `wait`: give up after this long (acquired = false). */
      timeoutMs: z.number().int().min(0).optional(),
    })
    .strict();
}

/** A force-release: whoever holds it, with the reason recorded. */
export const forceReleaseParams = once(() => z.object({ project: project(), name: name(), reason: z.string().optional() }).strict());
