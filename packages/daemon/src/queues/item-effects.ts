/**
 * Carries out what an item transition asks for once it has committed: tell
 * the workers, arm the deadline timers, cancel a pipeline that no longer
 * holds its item, run `on_exhaust` actions, log.
 */
import type { Logger } from 'winston';
import type { ItemEffect } from '../core/queue/item.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import { TERMINAL } from '../core/pipeline-state.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { QueueItemRow } from '../storage/queue-store.js';
import { logFileFor, runHooks, type ShellHost } from '../adapters/shell-host.js';
import type { DeadlineTimer } from '../adapters/deadline-timer.js';
import type { ItemChanges } from './item-changes.js';

/** What the effects need of the item. */
export type ItemRef = Pick<QueueItemRow, 'project' | 'queue' | 'id' | 'data'>;

export interface ItemEffectDeps {
  engine: PipelineEngine;
  projects: ProjectRegistry;
  shell: ShellHost;
  logger: Logger;
  changes: ItemChanges;
  visibility: DeadlineTimer;
  retention: DeadlineTimer;
}

export class ItemEffects {
  constructor(private readonly d: ItemEffectDeps) {}

  /** `row`: the item as it was before the transition. */
  run(row: ItemRef, effects: readonly ItemEffect[]): void {
    for (const e of effects) {
      switch (e.type) {
        case 'notify':
          this.d.changes.tell({ project: row.project, queue: row.queue, reason: e.reason, worker: e.worker });
          break;
        case 'armVisibility':
          this.d.visibility.arm(e.at);
          break;
        case 'armRetention':
          this.d.retention.arm(e.at);
          break;
        case 'cancelPipeline':
          this.cancelPipeline(e.pipeline, e.reason);
          break;
        case 'runAction':
          this.runAction(row, e.action, e.error);
          break;
        case 'log':
          this.d.logger.log(e.level, e.message, e.fields);
          break;
      }
    }
  }

  cancelPipeline(id: string, reason: string): void {
    const p = this.d.engine.store.get(id);
    if (!p || TERMINAL.has(p.state.status)) return;
    try {
      this.d.engine.apply(id, { type: 'cancel', reason });
    } catch (err) {
      this.d.logger.warn('pipeline not cancelled', { pipeline: id, reason, error: String(err) });
    }
  }

  private runAction(row: ItemRef, actionId: string, error: string): void {
    const action = this.d.projects.peek(row.project)?.get(actionId);
    if (!action || action.kind !== 'action') return;
    const data = JSON.parse(row.data) as Record<string, unknown>;
    runHooks(this.d.shell, {
      project: row.project,
      hook: `on_exhaust ${action.name}`,
      commands: [action.run],
      values: { ...data, item: data, queue: row.queue, id: row.id, error, project_root: row.project },
      logFile: logFileFor(this.d.shell, row.project, 'queues', row.queue),
      subject: `${row.queue}/${row.id}`,
    });
  }
}
