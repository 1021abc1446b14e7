/**
 * `oj queue add` with more items than one request line holds: the items go
 * in chunks, each a request well under the daemon's line limit (each chunk is
 * one transaction; the chunks are added in order).
 */
import { MAX_LINE_BYTES } from '@oj/protocol/client';

/** Room left in a line for the request around the items. */
const CHUNK_BYTES = Math.floor(MAX_LINE_BYTES / 2);
const CHUNK_ITEMS = 100_000;

export class ItemTooLargeError extends Error {
  override readonly name = 'ItemTooLargeError';
}

/** Splits items into chunks of at most CHUNK_BYTES of JSON and CHUNK_ITEMS items, in order. */
export function chunkItems<T>(items: readonly T[], maxBytes = CHUNK_BYTES, maxItems = CHUNK_ITEMS): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  items.forEach((item, index) => {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (size > maxBytes) throw new ItemTooLargeError(`item ${index + 1} is ${size} bytes of JSON, over the ${maxBytes}-byte limit of one item`);
    if (current.length > 0 && (bytes + size > maxBytes || current.length >= maxItems)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}
