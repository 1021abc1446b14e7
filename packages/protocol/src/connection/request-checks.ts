/**
 * What a line must be before it reaches the method table.
 *
 * Its nesting, found by a scan that does not parse it: a request nested
 * deeper than MAX_JSON_DEPTH is refused before it is parsed (nothing oj
 * accepts needs that much, and walking such a value later, validating,
 * storing or logging it, would exhaust the stack).
 *
 * Its shape (JSON-RPC 2.0 section 4), checked before a request reaches the
 * method table, so every example of section 7 answers as the spec shows: a
 * non-string method is -32600 (not -32601), an empty batch is one -32600 (not
 * an array), each bad member of a batch gets its own -32600.
 */
export const MAX_JSON_DEPTH = 64;

/** True when `text` opens more than `max` arrays/objects inside one another (strings are skipped). */
export function nestsDeeperThan(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

export type RequestId = string | number | null;

export type ShapeVerdict =
  | { ok: true }
  /** Not a request: answer -32600 with this id (null when the id itself is unusable). */
  | { ok: false; id: RequestId; reason: string };

function isId(v: unknown): v is RequestId {
  return v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

export function checkRequestShape(value: unknown): ShapeVerdict {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, id: null, reason: 'a request must be a JSON object' };
  }
  const r = value as Record<string, unknown>;
  const id: RequestId = 'id' in r && isId(r.id) ? r.id : null;
  if ('id' in r && !isId(r.id)) return { ok: false, id: null, reason: '"id" must be a string, a number or null' };
  if (r.jsonrpc !== '2.0') return { ok: false, id, reason: '"jsonrpc" must be exactly "2.0"' };
  if (typeof r.method !== 'string') return { ok: false, id, reason: '"method" must be a string' };
  if ('params' in r && (typeof r.params !== 'object' || r.params === null)) {
    return { ok: false, id, reason: '"params" must be an object or an array when present' };
  }
  return { ok: true };
}
