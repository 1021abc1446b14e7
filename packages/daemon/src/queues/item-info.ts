/** Queue items, attempts and queues as the protocol shows them. */
import type { JsonValue, QueueMethods } from '@oj/protocol';
import type { Queue } from '../runbook/model.js';
import type { QueueAttemptRow, QueueItemRow } from '../storage/queue-store.js';

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

/** `host`: set by the cluster store on the rows it reads (the daemon holding a taken item). */
export function toItemInfo(r: QueueItemRow & { host?: string | null }): QueueMethods.QueueItemInfo {
  return {
    queue: r.queue,
    id: r.id,
    status: r.status,
    data: JSON.parse(r.data) as Record<string, JsonValue>,
    origin: r.origin === 'source' ? 'source' : 'added',
    attempts: r.attempts,
    failures: r.failures,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    takenAt: isoOrNull(r.taken_at),
    takenBy: r.taken_by,
    worker: r.worker,
    visibleAt: isoOrNull(r.visible_at),
    finishedAt: isoOrNull(r.finished_at),
    error: r.error,
    expiresAt: isoOrNull(r.expires_at),
    host: r.status === 'taken' ? (r.host ?? null) : null,
  };
}

export function toAttemptInfo(a: QueueAttemptRow & { host?: string | null }): QueueMethods.QueueAttemptInfo {
  return {
    attempt: a.attempt,
    takenAt: iso(a.taken_at),
    takenBy: a.taken_by,
    worker: a.worker,
    endedAt: isoOrNull(a.ended_at),
    outcome: a.outcome,
    error: a.error,
    host: a.host ?? null,
  };
}

export interface SummaryFacts {
  counts: Record<string, number>;
  workers: string[];
  source: { last_pull_at: number | null; last_error: string | null };
}

export function toQueueSummary(q: Queue, f: SummaryFacts): QueueMethods.QueueSummary {
  const c = f.counts;
  return {
    name: q.name,
    runbook: q.file,
    source: q.source,
    order: q.order.text,
    visibilityTimeout: q.visibility_timeout.text,
    maxRetries: q.max_retries,
    onExhaust: q.on_exhaust.map((s) => s.text),
    retention: q.dead.retention.text,
    counts: { pending: c.pending ?? 0, taken: c.taken ?? 0, completed: c.completed ?? 0, dead: c.dead ?? 0, abandoned: c.abandoned ?? 0 },
    workers: f.workers,
    lastPullAt: f.source.last_pull_at === null ? null : iso(f.source.last_pull_at),
    lastPullError: f.source.last_error,
  };
}
