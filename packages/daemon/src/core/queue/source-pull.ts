/**
 * What one successful pull of a source queue does with each item its
 * command listed. Pull generations count successful pulls; every row the
 * pull lists is marked with the new generation.
 *
 * - An item with a live row (pending, taken or dead) is that item: it is
 *   marked seen, and a pending one takes the data as listed now.
 * - A finished item (completed, abandoned) that the previous pull also
 *   listed is the same occurrence still being listed, not new work.
 * - Anything else is a new item.
 */
import type { ItemStatus } from './item.js';

export interface KnownRow {
  seq: number;
  status: ItemStatus;
  /** The stored data, as JSON text. */
  data: string;
  seenPull: number | null;
}

export type PullStep =
  | { type: 'seen'; seq: number; data: string | null }
  | { type: 'insert' };

/**
 * `live`: the item's live row, if any; `latest`: its newest row otherwise;
 * `prevGen`: the generation of the previous successful pull (0: none yet).
 * A `seen` step with data: the pending row's data changed to that text.
 */
export function pullStep(listed: { data: Record<string, unknown> }, live: KnownRow | undefined, latest: KnownRow | undefined, prevGen: number): PullStep {
  if (live) {
    if (live.status !== 'pending') return { type: 'seen', seq: live.seq, data: null };
    const text = JSON.stringify(listed.data);
    return { type: 'seen', seq: live.seq, data: text !== live.data ? text : null };
  }
  if (latest && prevGen > 0 && latest.seenPull === prevGen) return { type: 'seen', seq: latest.seq, data: null };
  return { type: 'insert' };
}
