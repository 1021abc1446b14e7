/**
 * A worker's persisted state (started or stopped, idle since when, last
 * woken when) and what changes it: (state, worker, event, now) -> transition.
 * Pure. A worker with no stored state has never been started.
 */
import type { JsonValue, WorkerMethods } from '@oj/protocol';

export type WorkerStatus = WorkerMethods.WorkerStatus;

export interface WorkerState {
  status: WorkerStatus;
  changedAt: number;
  /** When it last found nothing to do (null while busy or stopped). */
  idleSince: number | null;
  lastWakeAt: number | null;
}

/** What the transitions need to know of the worker's definition. */
export interface WorkerFacts {
  name: string;
  /** Its queue as the runbook names it (in `worker:started`). */
  queueRef: string;
  /** Its queue's name (in `worker:idle`). */
  queue: string;
  concurrency: number;
}

export type WorkerEvent =
  | { type: 'start' }
  /** `running`: how many of its items are still held (they finish). */
  | { type: 'stop'; reason: string; running: number }
  /** `oj worker wake` on a started worker. */
  | { type: 'wake' }
  /** It found nothing to do and nothing under way. */
  | { type: 'idle' }
  /** It took work again after being idle. */
  | { type: 'busy' };

export type WorkerHook = 'on_start' | 'on_stop' | 'on_wake' | 'on_idle';

export interface WorkerRecord {
  name: 'worker:started' | 'worker:stopped' | 'worker:woken' | 'worker:idle';
  data: Record<string, JsonValue>;
}

export interface WorkerTransition {
  /** The state to store (null: nothing stored, and nothing to store). */
  state: WorkerState | null;
  /** Whether the state differs from the one given. */
  changed: boolean;
  events: WorkerRecord[];
  /** Runbook hooks to run after commit, with their extra values. */
  hooks: { hook: WorkerHook; values: Record<string, string> }[];
}

export function stepWorker(s: WorkerState | null, w: WorkerFacts, e: WorkerEvent, now: number): WorkerTransition {
  const same: WorkerTransition = { state: s, changed: false, events: [], hooks: [] };
  switch (e.type) {
    case 'start':
      if (s?.status === 'started') return same;
      return {
        state: { status: 'started', changedAt: now, idleSince: null, lastWakeAt: s?.lastWakeAt ?? null },
        changed: true,
        events: [{ name: 'worker:started', data: { worker: w.name, queue: w.queueRef, concurrency: w.concurrency } }],
        hooks: [{ hook: 'on_start', values: {} }],
      };
    case 'stop':
      if (s?.status !== 'started') return same;
      return {
        state: { ...s, status: 'stopped', changedAt: now, idleSince: null },
        changed: true,
        events: [{ name: 'worker:stopped', data: { worker: w.name, reason: e.reason, running: e.running } }],
        hooks: [{ hook: 'on_stop', values: { reason: e.reason } }],
      };
    case 'wake':
      return {
        state: s && { ...s, lastWakeAt: now },
        changed: s !== null,
        events: [{ name: 'worker:woken', data: { worker: w.name, by: 'oj worker wake' } }],
        hooks: [{ hook: 'on_wake', values: {} }],
      };
    case 'idle':
      return {
        state: s && { ...s, idleSince: now },
        changed: s !== null,
        events: [{ name: 'worker:idle', data: { worker: w.name, queue: w.queue } }],
        hooks: [{ hook: 'on_idle', values: {} }],
      };
    case 'busy':
      if (!s || s.idleSince === null) return same;
      return { ...same, state: { ...s, idleSince: null }, changed: true };
  }
}
