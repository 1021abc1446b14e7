/**
 * The answer to a batch (JSON-RPC 2.0 section 6): an array in the order
 * given, notifications left out; nothing at all when only notifications
 * remain; an empty batch is one -32600, not an array. Members run one after
 * another, and the answer is held to `maxBytes`: once it is reached, the
 * members left are not run and get an error each (a batch of huge answers
 * cannot make a server build gigabytes in memory).
 */
import type { JSONRPCResponse } from 'json-rpc-2.0';
import { checkRequestShape, type RequestId } from './request-shape.js';
import { batchTooLarge, invalidRequest } from './rpc-errors.js';

export async function answerBatch(
  members: unknown[],
  answerOne: (member: unknown) => PromiseLike<JSONRPCResponse | null>,
  maxBytes: number,
): Promise<JSONRPCResponse | JSONRPCResponse[] | null> {
  if (members.length === 0) return invalidRequest(null, 'an empty batch');
  const sent: JSONRPCResponse[] = [];
  let bytes = 0;
  for (const member of members) {
    if (bytes > maxBytes) {
      const shape = checkRequestShape(member);
      if (!shape.ok) sent.push(invalidRequest(shape.id, shape.reason));
      else if ('id' in (member as object)) sent.push(batchTooLarge((member as { id: RequestId }).id, bytes, maxBytes));
      continue;
    }
    const a = await answerOne(member);
    if (a === null) continue;
    bytes += JSON.stringify(a).length;
    sent.push(a);
  }
  return sent.length ? sent : null;
}
