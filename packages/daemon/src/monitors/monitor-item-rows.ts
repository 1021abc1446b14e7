/** Between a monitored item's row (storage) and the pure item state (core/monitor). */
import type { MonitorItemState } from '../core/monitor/index.js';
import type { MonitorItemRow } from '../storage/monitor-store.js';

export function toState(row: MonitorItemRow): MonitorItemState {
  return {
    key: row.item_key,
    progress: { step: row.step, used: row.used, settleUntil: row.settle_until, exhausted: row.exhausted === 1 },
    actions: row.actions,
    lastAction: row.last_action,
    lastActionAt: row.last_action_at,
    matchedAt: row.matched_at,
    lastMatchAt: row.last_match_at,
    seenAt: row.seen_at,
    previewedAt: row.previewed_at,
    data: row.data,
  };
}

export function toRow(project: string, monitor: string, s: MonitorItemState): MonitorItemRow {
  return {
    project,
    monitor,
    item_key: s.key,
    step: s.progress.step,
    used: s.progress.used,
    actions: s.actions,
    last_action: s.lastAction,
    last_action_at: s.lastActionAt,
    settle_until: s.progress.settleUntil,
    exhausted: s.progress.exhausted ? 1 : 0,
    matched_at: s.matchedAt,
    last_match_at: s.lastMatchAt,
    seen_at: s.seenAt,
    previewed_at: s.previewedAt,
    data: s.data,
  };
}
