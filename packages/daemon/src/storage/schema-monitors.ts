/** Tables of monitors (schema version 8). */

/**
 * Where a monitor's response chain stands for one item, keyed by project,
 * monitor (qualified id) and item key. A row exists while the item is being
 * handled (or was just rehearsed by a dry run); it goes once the item has
 * been clear for a tick after its last action settled.
 */
export interface MonitorItemsTable {
  project: string;
  /** Qualified monitor id (`watchdog.monitor.agent_idle`). */
  monitor: string;
  item_key: string;
  /** Index of the chain step the item is on. */
  step: number;
  /** Runs of the current step so far (against its `:N` / max_attempts). */
  used: number;
  /** Actions taken for the item since its chain (re)started. */
  actions: number;
  last_action: string | null;
  last_action_at: number | null;
  /** End of the last action's cooldown: no next step, and no reset, before it. */
  settle_until: number | null;
  /** 1 once every step has been used: nothing more happens until the item clears. */
  exhausted: number;
  /** First match of the current streak. */
  matched_at: number | null;
  last_match_at: number | null;
  /** Last tick the source listed the item. */
  seen_at: number;
  /** When a dry run reported the item (safety `dry_run = "first"`). */
  previewed_at: number | null;
  /** The item as the source last printed it (JSON). */
  data: string;
}

export interface MonitorTables {
  monitor_items: MonitorItemsTable;
}
