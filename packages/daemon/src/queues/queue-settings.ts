/**
 * A queue's settings for its items: from the runbooks, or the runbook
 * defaults (QUEUE_DEFAULTS) for items of a queue the runbooks no longer
 * define, so those can still be listed, completed, failed and pruned.
 */
import type { ItemSettings } from '../core/queue/item.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import { duration } from '../runbook/duration.js';
import { QUEUE_DEFAULTS, builtinChain, type Queue } from '../runbook/model.js';
import { parseOrder } from '../runbook/parse-queue.js';
import { tryFind } from '../projects/find-primitive.js';

export type QueueSettings = Pick<Queue, 'max_retries' | 'on_exhaust' | 'visibility_timeout' | 'dead' | 'order'> & {
  name: string;
  source: string | null;
  file: string | null;
};

function fallback(name: string): QueueSettings {
  const order = parseOrder(QUEUE_DEFAULTS.order);
  return {
    name,
    source: null,
    file: null,
    max_retries: QUEUE_DEFAULTS.max_retries,
    on_exhaust: builtinChain(QUEUE_DEFAULTS.on_exhaust),
    visibility_timeout: duration(QUEUE_DEFAULTS.visibility_timeout),
    dead: { retention: duration(QUEUE_DEFAULTS.retention) },
    order: { text: QUEUE_DEFAULTS.order, terms: order.ok ? order.terms : [] },
  };
}

/** Settings for items of a queue, falling back to the defaults when the runbooks no longer define it. */
export function queueSettings(projects: ProjectRegistry, project: string, name: string): QueueSettings {
  const q = tryFind(projects, project, 'queue', name);
  if (q) return { ...q, name: q.name, source: q.source, file: q.file };
  return fallback(name);
}

/** What the item lifecycle (core/queue) needs of them. */
export function itemSettings(q: Pick<Queue, 'max_retries' | 'on_exhaust' | 'visibility_timeout' | 'dead'>): ItemSettings {
  return { maxRetries: q.max_retries, visibilityTimeout: q.visibility_timeout, retention: q.dead.retention, onExhaust: q.on_exhaust };
}
