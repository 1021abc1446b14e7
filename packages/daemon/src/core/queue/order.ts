/**
 * The order in which a queue hands out its pending items.
 *
 * A queue's `order` is a list of item fields, each ascending or descending.
 * Items missing a field sort after items that have it, in either direction;
 * ties are broken by created_at, then by insertion order (seq). A bare
 * `priority` with no direction (the concept document's spelling) means
 * highest priority first.
 *
 * The store runs this order as SQL (storage/queue-order.ts, over
 * `json_extract`); `compareItems` states the same rule over plain values,
 * with SQLite's comparison of mixed types (numbers before text, text by
 * code point), so the two can be checked against each other.
 */

export interface OrderTerm {
  field: string;
  direction: 'asc' | 'desc';
}

/** The effective terms: applies the bare-`priority` rule. */
export function effectiveTerms(text: string, terms: readonly OrderTerm[]): OrderTerm[] {
  const only = terms[0];
  if (terms.length === 1 && only && only.field === 'priority' && !/\b(asc|desc)\s*$/i.test(text.trim())) {
    return [{ field: 'priority', direction: 'desc' }];
  }
  return [...terms];
}

/**
 * Every term a queue is ordered by: the effective terms, each field only
 * at its first mention (a field repeated later can never break a tie of
 * itself), then `created_at` ascending unless a term already orders by it.
 * Insertion order (seq) breaks the ties that remain. The stores' SQL is
 * built from these terms, so the default order (`created_at ASC`) is one
 * `created_at ASC, seq ASC` that their take index serves; repeating
 * `created_at` made SQLite sort every pending item on each take.
 */
export function orderTerms(text: string, terms: readonly OrderTerm[]): OrderTerm[] {
  const out: OrderTerm[] = [];
  const seen = new Set<string>();
  for (const t of [...effectiveTerms(text, terms), { field: 'created_at', direction: 'asc' } as const]) {
    if (seen.has(t.field)) continue;
    seen.add(t.field);
    out.push(t);
  }
  return out;
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** The JSON path of an item field: `priority` -> `$."priority"`, `bug.severity` -> `$."bug"."severity"`. */
export function jsonPath(field: string): string {
  if (!FIELD.test(field)) throw new Error(`not an item field: ${JSON.stringify(field)}`);
  return '$.' + field.split('.').map((part) => `"${part}"`).join('.');
}

/** What the order sees of an item. */
export interface Orderable {
  data: Record<string, unknown>;
  createdAt: number;
  seq: number;
}

/** Negative when `a` is handed out before `b`. */
export function compareItems(text: string, terms: readonly OrderTerm[], a: Orderable, b: Orderable): number {
  for (const t of orderTerms(text, terms)) {
    let c: number;
    if (t.field === 'created_at') c = a.createdAt - b.createdAt;
    else {
      const va = sortValue(fieldValue(a.data, t.field));
      const vb = sortValue(fieldValue(b.data, t.field));
      if (va === null || vb === null) {
        // Missing values last, whatever the direction.
        if (va !== vb) return va === null ? 1 : -1;
        continue;
      }
      c = compareValues(va, vb);
    }
    if (c !== 0) return t.direction === 'desc' ? -c : c;
  }
  return a.seq - b.seq;
}

/** The value at a dotted field path, or undefined when a step is missing or not an object. */
export function fieldValue(data: Record<string, unknown>, field: string): unknown {
  let v: unknown = data;
  for (const part of field.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** As `json_extract` gives it: null, a number (booleans as 1/0), or text (objects and arrays as JSON). */
function sortValue(v: unknown): number | string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** SQLite's order: numbers before text; numbers by value; text by code point (BINARY collation). */
function compareValues(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return compareCodePoints(a, b);
}

function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
