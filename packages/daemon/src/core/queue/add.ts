/** Adding items: what an added item may carry as its id, and the events that record an addition. */
import type { JsonValue, QueueMethods } from '@oj/protocol';

/** A bigger batch records one `queue:items:added` event instead of one `queue:item:added` per item. */
export const EVENT_PER_ITEM_LIMIT = 100;

/** Why the items cannot be added (nothing is), or null. An `id` is a non-empty string or a number. */
export function invalidItems(items: readonly Record<string, unknown>[]): string | null {
  for (const [i, item] of items.entries()) {
    const id = item.id;
    if (id !== undefined && ((typeof id !== 'string' && typeof id !== 'number') || String(id) === '')) {
      return `item ${i + 1}: "id" must be a non-empty string or a number`;
    }
  }
  return null;
}

export interface AddedRecord {
  name: 'queue:item:added' | 'queue:items:added';
  subject: string;
  data: Record<string, JsonValue>;
}

/**
 * The events recording the items `ids` added to `queue`: one per item, or one
 * for the batch when `batch` (the shell decides: more than EVENT_PER_ITEM_LIMIT
 * items given to `oj queue add`, or added by one pull).
 */
export function addedRecords(queue: string, ids: readonly string[], batch: boolean, origin: QueueMethods.QueueItemOrigin): AddedRecord[] {
  const tag: Record<string, JsonValue> = origin === 'source' ? { origin } : {};
  if (!batch) return ids.map((id) => ({ name: 'queue:item:added', subject: id, data: { queue, id, ...tag } }));
  if (!ids.length) return [];
  return [{ name: 'queue:items:added', subject: queue, data: { queue, count: ids.length, first: ids[0]!, last: ids[ids.length - 1]!, ...tag } }];
}
