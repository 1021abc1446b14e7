/**
 * Visibility timeout: a taken item not completed or failed by its deadline
 * counts a failed ("timed out") attempt and becomes visible again (or
 * exhausts). A pipeline still holding it is cancelled first; its end, heard
 * while `timingOut` names it, records the timeout. In a cluster, an item
 * held by a host that stopped heartbeating past its lease is released the
 * same way, whatever its deadline (its pipeline went with its host).
 */
import type { Logger } from 'winston';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import { TERMINAL } from '../core/pipeline-state.js';
import type { QueueItemRow } from '../storage/queue-store.js';
import type { SharedQueues } from '../storage/shared-store.js';
import type { ItemLifecycle } from './item-lifecycle.js';
import { endedEvent } from './pipeline-owner.js';
import type { QueueSettings } from './queue-settings.js';

export interface VisibilityDeps {
  items: SharedQueues;
  engine: PipelineEngine;
  lifecycle: ItemLifecycle;
  logger: Logger;
  settings(project: string, queue: string): QueueSettings;
  now(): number;
}

export class VisibilitySweep {
  /** Pipelines being cancelled because their item's visibility timeout passed. */
  private readonly timingOut = new Set<string>();
  private stopped = false;

  constructor(private readonly d: VisibilityDeps) {}

  /** Whether `pipeline` is being cancelled by a visibility timeout right now. */
  isTimingOut(pipeline: string): boolean {
    return this.timingOut.has(pipeline);
  }

  /** Items past their visibility deadline become visible again; returns the next deadline. */
  async sweep(): Promise<number | null> {
    if (this.stopped) return null;
    try {
      for (const row of await this.d.items.overdue(this.d.now())) await this.timeOut(row);
      return await this.d.items.nextVisibleAt();
    } catch (err) {
      this.d.logger.error('visibility sweep failed', { error: String(err) });
      // The shared database may be away: look again shortly.
      return this.d.now() + 1000;
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private async timeOut(row: QueueItemRow & { hostGone?: boolean; host?: string | null }): Promise<void> {
    const q = this.d.settings(row.project, row.queue);
    const pipelineId = row.worker ? row.taken_by : null;
    const p = pipelineId ? this.d.engine.store.get(pipelineId) : undefined;
    if (pipelineId && p && !TERMINAL.has(p.state.status)) {
      this.d.logger.info('visibility timeout: cancelling the pipeline holding the item', { queue: row.queue, item: row.id, pipeline: pipelineId });
      this.timingOut.add(pipelineId);
      try {
        this.d.engine.apply(pipelineId, { type: 'cancel', reason: `visibility timeout (${q.visibility_timeout.text}) of item ${row.queue}/${row.id}` });
      } catch (err) {
        this.d.logger.warn('pipeline not cancelled at visibility timeout', { pipeline: pipelineId, error: String(err) });
      } finally {
        this.timingOut.delete(pipelineId);
      }
    }
    // Whatever happened above, an item still held past its deadline is released now.
    await this.d.items.change({ seq: row.seq }, (current) => {
      if (!current) return { write: null, result: null };
      if (current.worker && p && TERMINAL.has(p.state.status)) {
        // Its pipeline ended without settling it (it cannot, but be safe): settle by the outcome.
        return this.d.lifecycle.decision(current, endedEvent(p, row.attempts, current.worker, false));
      }
      if (row.hostGone) return this.d.lifecycle.decision(current, { type: 'hostLost', attempt: row.attempts, takenBy: row.taken_by, host: row.host ?? '?' });
      return this.d.lifecycle.decision(current, { type: 'expire', attempt: row.attempts, takenBy: row.taken_by });
    });
  }
}
