/**
 * How a queue's `order` becomes SQL. Field names come from the runbook, so
 * they never enter the SQL text: each term is `json_extract(data, ?)` with
 * the JSON path bound as a parameter. Items missing a field sort after items
 * that have it, in either direction; ties are broken by created_at, then by
 * insertion order.
 *
 * `order = "priority"` (the concept document's spelling) means highest
 * priority first: a bare `priority` with no direction sorts descending.
 */
import type { RawBuilder } from 'kysely';
import { sql } from './kysely.js';
import type { OrderTerm } from '../runbook/model.js';

export interface OrderClause {
  /** Expression and direction, in order. */
  terms: { expr: RawBuilder<unknown>; direction: 'asc' | 'desc' }[];
  /** The same as plain SQL (fixed fragments and `?` for the bound paths), for a prepared take statement. */
  sql: string;
  params: string[];
}

/** The effective terms: applies the bare-`priority` rule. */
export function effectiveTerms(text: string, terms: readonly OrderTerm[]): OrderTerm[] {
  const only = terms[0];
  if (terms.length === 1 && only && only.field === 'priority' && !/\b(asc|desc)\s*$/i.test(text.trim())) {
    return [{ field: 'priority', direction: 'desc' }];
  }
  return [...terms];
}

/** The JSON path of an item field: `priority` -> `$.priority`, `bug.severity` -> `$.bug.severity`. */
export function jsonPath(field: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(field)) {
    throw new Error(`not an item field: ${JSON.stringify(field)}`);
  }
  return '$.' + field.split('.').map((part) => `"${part}"`).join('.');
}

/** The ORDER BY terms for a queue's order (the created_at / seq tie-breakers included). */
export function orderClause(text: string, terms: readonly OrderTerm[]): OrderClause {
  const out: OrderClause['terms'] = [];
  const parts: string[] = [];
  const params: string[] = [];
  const dir = (d: 'asc' | 'desc') => (d === 'desc' ? 'DESC' : 'ASC');
  for (const t of effectiveTerms(text, terms)) {
    if (t.field === 'created_at') {
      out.push({ expr: sql`created_at`, direction: t.direction });
      parts.push(`created_at ${dir(t.direction)}`);
      continue;
    }
    const path = jsonPath(t.field);
    // Missing (null) values last, whatever the direction.
    out.push({ expr: sql`(json_extract(data, ${path}) IS NULL)`, direction: 'asc' });
    out.push({ expr: sql`json_extract(data, ${path})`, direction: t.direction });
    parts.push(`(json_extract(data, ?) IS NULL) ASC`, `json_extract(data, ?) ${dir(t.direction)}`);
    params.push(path, path);
  }
  out.push({ expr: sql`created_at`, direction: 'asc' });
  out.push({ expr: sql`seq`, direction: 'asc' });
  parts.push('created_at ASC', 'seq ASC');
  return { terms: out, sql: parts.join(', '), params };
}
