/**
 * The shell around a worker's state transitions (core/queue/worker.ts): in
 * one write, load the row, call the core, save the row and record the
 * events; the runbook hooks run after the outermost commit.
 */
import { stepWorker, type WorkerEvent, type WorkerFacts, type WorkerState, type WorkerTransition } from '../core/queue/worker.js';
import type { EventLog } from '../events/event-log.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { Worker } from '../runbook/model.js';
import type { Storage } from '../storage/storage.js';
import type { WorkerRow, WorkerStore } from '../storage/worker-store.js';
import type { ShellHost } from '../adapters/shell-host.js';
import { runWorkerHook } from './worker-hooks.js';

export interface WorkerStateDeps {
  storage: Storage;
  store: WorkerStore;
  events: EventLog;
  projects: ProjectRegistry;
  shell: ShellHost;
  now(): number;
}

/** `w`: the worker's definition (none: it is no longer defined, and no hook runs). */
export function applyWorker(d: WorkerStateDeps, project: string, name: string, w: Worker | undefined, event: WorkerEvent): WorkerTransition {
  return d.storage.write(() => {
    const row = d.store.get(project, name);
    const t = stepWorker(row ? toState(row) : null, facts(d, project, name, w), event, d.now());
    if (t.changed && t.state) d.store.save(toRow(project, name, t.state));
    for (const e of t.events) d.events.emit({ name: e.name, subject: name, project, data: e.data });
    if (w && t.hooks.length) d.storage.afterCommit(() => t.hooks.forEach((h) => runWorkerHook(d, project, w, h.hook, h.values)));
    return t;
  });
}

function facts(d: WorkerStateDeps, project: string, name: string, w: Worker | undefined): WorkerFacts {
  const q = w ? d.projects.peek(project)?.deref('queue', w.queue) : undefined;
  return { name, queueRef: w?.queue.ref ?? '', queue: q?.name ?? '', concurrency: w?.concurrency ?? 0 };
}

function toState(r: WorkerRow): WorkerState {
  return { status: r.status, changedAt: r.changed_at, idleSince: r.idle_since, lastWakeAt: r.last_wake_at };
}

function toRow(project: string, name: string, s: WorkerState): WorkerRow {
  return { project, name, status: s.status, changed_at: s.changedAt, idle_since: s.idleSince, last_wake_at: s.lastWakeAt };
}
