/**
 * One monitored item's state, the events that move it, and what a step
 * returns. The shell (monitors/) loads the item's row, calls `step`, writes
 * the new state (or deletes the row when the state is null) and the emitted
 * events in one transaction, and carries out the effects after the commit:
 * it runs the action a step asks for and feeds its outcome back as `acted`.
 */
import type { Progress, StepSpec } from './chain.js';

/** The action a monitor's direct `action` command counts as (event `action:clean`, hook `on_clean`). */
export const DIRECT_ACTION = 'clean';

/** Where one item stands: what the row in `monitor_items` holds. */
export interface MonitorItemState {
  key: string;
  /** Where the item's response chain stands (a direct action leaves it as it is). */
  progress: Progress;
  /** Actions taken for the item since its chain (re)started. */
  actions: number;
  /** The last action taken, or `protected` once [safety] kept the item from being acted on. */
  lastAction: string | null;
  lastActionAt: number | null;
  /** First match of the current streak. */
  matchedAt: number | null;
  lastMatchAt: number | null;
  /** Last tick the source listed the item. */
  seenAt: number;
  /** When a dry run reported the item. */
  previewedAt: number | null;
  /** The item as the source last printed it (JSON text; the core does not read it). */
  data: string;
}

export type DryRun = 'first' | 'always' | 'off';

/** What the runbooks say about the monitor, for one pass. */
export interface MonitorSettings {
  /** The monitor's name (reasons are worded with it). */
  name: string;
  /** The response chain; null when the monitor has a direct `action` instead. */
  steps: readonly StepSpec[] | null;
  /** The monitor's file's `[safety] dry_run`. */
  dryRun: DryRun;
}

/** How an action ended: done, failed, or it had nothing to act on for this item (the chain moves on). */
export type ActOutcome = { kind: 'done'; detail: string } | { kind: 'failed'; error: string } | { kind: 'skip'; why: string };

/** An action the shell is asked to run for the item. */
export interface Act {
  action: string;
  /** Index of the chain step; null for the direct action. */
  step: number | null;
  attempt: number;
  of: number;
  reason: string;
}

export type MonitorItemEvent =
  /**
   * The source listed the item and its condition matched. `data`: the item as
   * JSON; `protectedBy`: the `[safety]` protected path one of its paths is
   * under, if any; `paths`: the item's path fields; `directPreview`: what the
   * direct action would do, in words (for a dry run of a monitor without a chain).
   */
  | { type: 'match'; data: string; protectedBy: string | null; paths: readonly string[]; directPreview: string }
  /** The action `act` asked for has ended. */
  | { type: 'acted'; act: Act; outcome: ActOutcome }
  /** The item no longer matches (`listed`), or the source no longer lists it. */
  | { type: 'clear'; listed: boolean };

export type MonitorItemEffect =
  /** Run this action for the item, then step again with `acted`. */
  | { type: 'act'; act: Act }
  /** Run the cron's `on_<action>` hooks with these values (besides the item's own). */
  | { type: 'hook'; action: string; values: Record<string, string | number> }
  /** A line for the cron's log file; with `warn`, also a warning in the daemon's log. */
  | { type: 'log'; line: string; warn?: { message: string; detail: Record<string, string> } }
  /** The pipeline this monitor's `escalate` had wait for a human goes back to running. */
  | { type: 'releaseEscalation' };

/** An event to append to the log (the shell adds the subject, the project and the item's monitor, cron and targets). */
export interface MonitorEmit {
  name: string;
  data: Record<string, string | number>;
}

export interface MonitorItemTransition {
  /** The same object as the input state when nothing changed; null: the item is forgotten (its row deleted). */
  state: MonitorItemState | null;
  events: MonitorEmit[];
  effects: MonitorItemEffect[];
}
