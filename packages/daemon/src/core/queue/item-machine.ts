/**
 * The queue item lifecycle: (item, settings, event, now) -> transition. Pure.
 *
 *   pending --take--> taken --complete--> completed
 *      ^                |  \--fail / expire / pipeline ended badly--+
 *      |                |                                          |
 *      +---- retries left (released) <-----------------------------+
 *      |                                                           |
 *      +--requeue/redrive-- dead | abandoned <--- retries exhausted: on_exhaust
 *
 * - An item is held by at most one taker: only a pending item can be taken.
 * - `attempts` counts takes and never decreases; `failures` counts failed
 *   attempts since the item was added or redriven.
 * - A failure with retries left makes the item visible (pending) again at
 *   once; past `maxRetries` the `on_exhaust` plan decides (dead, abandoned,
 *   or pending with failures reset).
 * - Internal events (`pipelineEnded`, `expire`, `refresh`, `startFailed`)
 *   that no longer apply change nothing; commands from a user that do not
 *   apply throw `ItemRejected`.
 */
import { planExhaust } from './exhaust.js';
import { escalateData } from '../recovery/index.js';
import {
  ItemRejected,
  type AttemptWrite,
  type EndedOutcome,
  type ItemEffect,
  type ItemEvent,
  type ItemRecord,
  type ItemSettings,
  type ItemTransition,
  type QueueItem,
} from './item.js';

/** The attempt number the next take of this item starts. */
export function nextAttempt(item: Pick<QueueItem, 'attempts'>): number {
  return item.attempts + 1;
}

/** Whether `pipeline`, handed the item for attempt `attempt`, still holds it. */
export function heldBy(item: QueueItem, pipeline: string, attempt: number): boolean {
  return item.status === 'taken' && item.takenBy === pipeline && item.attempts === attempt;
}

export function stepItem(item: QueueItem, s: ItemSettings, e: ItemEvent, now: number): ItemTransition {
  const t = new Builder(item, s, now);
  switch (e.type) {
    case 'take':
      take(t, e.by, e.worker);
      break;
    case 'startFailed':
      if (item.status !== 'pending') break;
      t.set({ attempts: nextAttempt(item), updatedAt: now });
      t.attempt({ type: 'start', attempt: t.state.attempts, at: now, takenBy: null, worker: e.worker });
      t.attempt({ type: 'end', attempt: t.state.attempts, outcome: 'failed', error: e.error, at: now });
      failAttempt(t, e.error, 'failed');
      break;
    case 'complete':
      if (item.status === 'completed' || item.status === 'abandoned') {
        throw new ItemRejected(`item ${label(item)} is already ${item.status}`, item.status);
      }
      complete(t);
      break;
    case 'fail':
      if (item.status !== 'taken' && item.status !== 'pending') {
        throw new ItemRejected(
          `item ${label(item)} is ${item.status}; only pending or taken items can fail`,
          item.status,
          item.status === 'dead' ? `oj queue retry ${item.queue} ${item.id} redrives it` : undefined,
        );
      }
      failAttempt(t, e.error, e.outcome);
      // The attempt is over: a pipeline still working the item must not run on beside the retry.
      t.cancelHolder(`failed: ${e.error}`);
      break;
    case 'pipelineEnded':
      if (!heldBy(item, e.pipeline, e.attempt)) {
        t.effect({ type: 'log', level: 'debug', message: 'pipeline ended; its item is no longer held by it', fields: { pipeline: e.pipeline, item: item.id } });
        // Its worker still has a slot back.
        t.effect({ type: 'notify', reason: 'finished', worker: e.worker });
        break;
      }
      if (e.status === 'done') complete(t);
      else if (e.timedOut) failAttempt(t, `visibility timeout (${s.visibilityTimeout.text}) passed; pipeline ${e.handle} cancelled`, 'timed_out');
      else failAttempt(t, `pipeline ${e.handle} ${e.status}${e.error ? `: ${e.error}` : ''}`, 'failed');
      break;
    case 'expire':
      if (item.status !== 'taken' || item.attempts !== e.attempt || item.takenBy !== e.takenBy) break;
      if (item.visibleAt === null || item.visibleAt > now) break;
      failAttempt(t, `visibility timeout (${s.visibilityTimeout.text}) passed`, 'timed_out');
      break;
    case 'hostLost':
      // Whatever its deadline: the host (and the pipeline working it) is gone.
      if (item.status !== 'taken' || item.attempts !== e.attempt || item.takenBy !== e.takenBy) break;
      failAttempt(t, `host ${e.host} stopped heartbeating; its attempt is lost`, 'timed_out');
      break;
    case 'refresh': {
      if (item.status !== 'taken') break;
      const fresh = now + s.visibilityTimeout.ms;
      if ((item.visibleAt ?? 0) < fresh) t.set({ visibleAt: fresh });
      break;
    }
    case 'requeue':
      requeue(t, e.liveTwin);
      break;
    case 'bury':
      bury(t, e.reason);
      break;
    case 'redrive':
      if (item.status !== 'dead') {
        throw new ItemRejected(
          `item ${label(item)} is ${item.status}, not dead`,
          item.status,
          item.status === 'pending' || item.status === 'taken' ? undefined : `oj queue requeue ${item.queue} ${item.id} queues it again`,
        );
      }
      t.set({ status: 'pending', failures: 0, finishedAt: null, expiresAt: null, updatedAt: now });
      t.emit('queue:item:retried', { attempts: item.attempts });
      t.effect({ type: 'notify', reason: 'added', worker: null });
      break;
    case 'remove':
      t.removed = true;
      t.emit('queue:item:removed', { status: item.status });
      if (item.status === 'taken') t.effect({ type: 'notify', reason: 'finished', worker: item.worker });
      t.cancelHolder('removed');
      break;
  }
  return t.result();
}

function label(item: QueueItem): string {
  return `${item.queue}/${item.id}`;
}

function take(t: Builder, by: string, worker: string | null): void {
  const item = t.item;
  if (item.status !== 'pending') throw new ItemRejected(`item ${label(item)} is ${item.status}; only a pending item can be taken`, item.status);
  const attempt = nextAttempt(item);
  const visibleAt = t.now + t.s.visibilityTimeout.ms;
  t.set({ status: 'taken', attempts: attempt, takenAt: t.now, takenBy: by, worker, visibleAt, updatedAt: t.now });
  t.attempt({ type: 'start', attempt, at: t.now, takenBy: by, worker });
  t.emit('queue:item:taken', worker === null ? { attempt, by } : { attempt, pipeline: by, worker });
  t.effect({ type: 'armVisibility', at: visibleAt });
}

function complete(t: Builder): void {
  const item = t.item;
  const now = t.now;
  t.endAttempt('completed', null);
  // Who held it stays on record (taken_by, worker): `oj queue show` tells who completed it.
  t.set({ status: 'completed', finishedAt: now, visibleAt: null, error: null, expiresAt: now + t.s.retention.ms, updatedAt: now });
  t.emit('queue:item:completed', { attempt: item.attempts, ...(item.takenBy ? { by: item.takenBy } : {}) });
  t.effect({ type: 'armRetention', at: now + t.s.retention.ms });
  t.effect({ type: 'notify', reason: 'finished', worker: item.worker });
}

const RELEASED = { status: 'pending', takenAt: null, takenBy: null, worker: null, visibleAt: null } as const;

/** One failed (or timed-out) attempt: visible again while retries are left, else `on_exhaust` applies. */
function failAttempt(t: Builder, error: string, outcome: 'failed' | 'timed_out'): void {
  const item = t.state;
  const now = t.now;
  t.endAttempt(outcome, error);
  const failures = item.failures + 1;
  const exhausted = failures > t.s.maxRetries;
  t.emit('queue:item:failed', {
    attempt: item.attempts,
    failures,
    maxRetries: t.s.maxRetries,
    error,
    ...(outcome === 'timed_out' ? { timedOut: true } : {}),
    willRetry: !exhausted,
  });
  if (!exhausted) {
    t.set({ ...RELEASED, error, failures, updatedAt: now });
    t.effect({ type: 'notify', reason: 'released', worker: item.worker });
    return;
  }
  const plan = planExhaust(t.s.onExhaust);
  if (plan.ignored.length) t.effect({ type: 'log', level: 'warn', message: 'on_exhaust steps ignored for a queue item', fields: { queue: item.queue, steps: plan.ignored } });
  if (plan.escalate) {
    t.record(
      'escalate',
      `${label(item)}`,
      escalateData({
        source: 'queue',
        reason: `item ${label(item)}: retries exhausted after ${failures} failures: ${error}`,
        error,
        detail: { kind: 'queue_item', queue: item.queue, id: item.id },
      }),
    );
  }
  for (const action of plan.actions) t.effect({ type: 'runAction', action, error });
  if (plan.status === 'pending') {
    t.set({ ...RELEASED, error, failures: 0, updatedAt: now });
    t.emit('queue:item:requeued', { reason: 'on_exhaust' });
    t.effect({ type: 'notify', reason: 'released', worker: item.worker });
    return;
  }
  const expiresAt = now + t.s.retention.ms;
  t.set({ ...RELEASED, status: plan.status, error, failures, finishedAt: now, expiresAt, updatedAt: now });
  t.emit(plan.status === 'dead' ? 'queue:item:dead' : 'queue:item:abandoned', { failures, error, ...(plan.escalate ? { escalated: true } : {}) });
  t.effect({ type: 'armRetention', at: expiresAt });
  t.effect({ type: 'notify', reason: 'finished', worker: item.worker });
}

function requeue(t: Builder, liveTwin: boolean): void {
  const item = t.item;
  if (item.status === 'pending') throw new ItemRejected(`item ${label(item)} is already pending`, item.status);
  if (item.status !== 'taken' && item.status !== 'dead' && liveTwin) {
    throw new ItemRejected(`another item ${label(item)} is already queued`, item.status);
  }
  t.endAttempt('requeued', null);
  t.set({
    ...RELEASED,
    finishedAt: null,
    expiresAt: null,
    failures: item.status === 'taken' ? item.failures : 0,
    updatedAt: t.now,
  });
  t.emit('queue:item:requeued', { from: item.status });
  t.effect({ type: 'notify', reason: 'added', worker: item.worker });
  t.cancelHolder('requeued');
}

function bury(t: Builder, reason: string): void {
  const item = t.item;
  if (item.status !== 'pending' && item.status !== 'taken') {
    const dead = item.status === 'dead';
    throw new ItemRejected(
      dead ? `item ${label(item)} is already dead` : `item ${label(item)} is ${item.status}; only pending or taken items can be buried`,
      item.status,
      dead ? `oj queue dead ${item.queue} lists it; oj queue retry ${item.queue} ${item.id} redrives it` : `oj queue requeue ${item.queue} ${item.id} queues it again`,
    );
  }
  const now = t.now;
  t.endAttempt('failed', reason);
  const expiresAt = now + t.s.retention.ms;
  t.set({ ...RELEASED, status: 'dead', error: reason, finishedAt: now, expiresAt, updatedAt: now });
  t.emit('queue:item:dead', { failures: item.failures, error: reason, buried: true, from: item.status });
  t.effect({ type: 'armRetention', at: expiresAt });
  t.effect({ type: 'notify', reason: 'finished', worker: item.worker });
  t.cancelHolder('moved to the dead letters');
}

class Builder {
  state: QueueItem;
  removed = false;
  private readonly attempts: AttemptWrite[] = [];
  private readonly events: ItemRecord[] = [];
  private readonly effects: ItemEffect[] = [];

  constructor(
    readonly item: QueueItem,
    readonly s: ItemSettings,
    readonly now: number,
  ) {
    this.state = { ...item };
  }

  set(patch: Partial<QueueItem>): void {
    this.state = { ...this.state, ...patch };
  }

  attempt(a: AttemptWrite): void {
    this.attempts.push(a);
  }

  /** Ends the running attempt, if the item is taken. */
  endAttempt(outcome: EndedOutcome, error: string | null): void {
    if (this.state.status !== 'taken') return;
    this.attempts.push({ type: 'end', attempt: this.state.attempts, outcome, error, at: this.now });
  }

  /** A pipeline of a worker holding the item (as it was) is cancelled, after everything else. */
  cancelHolder(why: string): void {
    const i = this.item;
    if (i.status === 'taken' && i.worker && i.takenBy) {
      this.effects.push({ type: 'cancelPipeline', pipeline: i.takenBy, reason: `item ${label(i)} ${why}` });
    }
  }

  emit(name: ItemRecord['name'], data: ItemRecord['data']): void {
    const i = this.item;
    this.events.push({ name, subject: i.id, data: { queue: i.queue, id: i.id, ...data } });
  }

  record(name: ItemRecord['name'], subject: string, data: ItemRecord['data']): void {
    this.events.push({ name, subject, data });
  }

  effect(e: ItemEffect): void {
    this.effects.push(e);
  }

  result(): ItemTransition {
    return { state: this.state, removed: this.removed, attempts: this.attempts, events: this.events, effects: this.effects };
  }
}
