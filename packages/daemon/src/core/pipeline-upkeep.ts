/**
 * What a pipeline's upkeep decides, outside its state machine: a new label,
 * archiving, a checkpoint, which finished pipelines a prune removes. Pure:
 * each answers with the change and the events it emits (or why it is
 * refused); the engine's shell (engine/pipeline-upkeep.ts) writes them in one
 * transaction and tells followers after the commit.
 */
import type { JsonValue } from '@oj/protocol';
import { TERMINAL, type PipelineState, type PipelineStatus } from './pipeline-state.js';

export interface UpkeepEvent {
  name: string;
  data: Record<string, JsonValue>;
}

/** A change of one pipeline's record: its new fields and the events it emits. */
export interface RecordChange<T> {
  set: T;
  events: UpkeepEvent[];
}

/**
 * A new label: null when it already has that label (nothing changes, nothing
 * is told). Events carry the pipeline's id in its project (`handle`), as its
 * machine's do.
 */
export function relabel(handle: string, current: string | null, label: string): RecordChange<{ label: string }> | null {
  if (current === label) return null;
  return { set: { label }, events: [{ name: 'pipeline:labelled', data: { pipeline: handle, label, previous: current } }] };
}

export type ArchiveDecision =
  | { ok: true; change: RecordChange<{ archived: true }> | null }
  | { ok: false; message: string; hint: string };

/** Archiving: only a finished pipeline is archived; one already archived stays so (no change). */
export function archive(state: PipelineState, archived: boolean): ArchiveDecision {
  if (!TERMINAL.has(state.status)) {
    return {
      ok: false,
      message: `pipeline ${state.handle} is ${state.status}; only finished pipelines are archived`,
      hint: `oj pipeline cancel ${state.handle} first`,
    };
  }
  if (archived) return { ok: true, change: null };
  return { ok: true, change: { set: { archived: true }, events: [{ name: 'pipeline:archived', data: { pipeline: state.handle, status: state.status } }] } };
}

/** A checkpoint's event (the checkpoint row itself is recorded with it). */
export function checkpointEvent(handle: string, message: string): UpkeepEvent {
  return { name: 'pipeline:checkpoint', data: { pipeline: handle, message } };
}

export interface PruneRule {
  /** Failed pipelines too (else only done and cancelled ones). */
  failed: boolean;
  /** Only pipelines finished at least this long ago (absent: any age). */
  olderThanMs?: number | undefined;
}

/** The statuses a prune removes. */
export function pruneStatuses(rule: PruneRule): PipelineStatus[] {
  return rule.failed ? ['done', 'cancelled', 'failed'] : ['done', 'cancelled'];
}

/** Whether a pipeline is removed by a prune at `now`; its event when it is. */
export function pruned(state: PipelineState, rule: PruneRule, now: number): UpkeepEvent | null {
  if (!pruneStatuses(rule).includes(state.status)) return null;
  const cutoff = rule.olderThanMs !== undefined ? now - rule.olderThanMs : Infinity;
  if ((state.finishedAt ?? state.updatedAt) > cutoff) return null;
  return { name: 'pipeline:pruned', data: { pipeline: state.handle, status: state.status } };
}
