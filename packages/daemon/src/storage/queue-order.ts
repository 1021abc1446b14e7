/**
 * How a queue's `order` (core/queue/order.ts states the rule) becomes SQL.
 * Field names come from the runbook, so they never enter the SQL text: each
 * term is `json_extract(data, ?)` with the JSON path bound as a parameter.
 */
import type { RawBuilder } from 'kysely';
import { jsonPath, orderTerms, type OrderTerm } from '../core/queue/order.js';
import { sql } from './kysely.js';

export interface OrderClause {
  /** Expression and direction, in order. */
  terms: { expr: RawBuilder<unknown>; direction: 'asc' | 'desc' }[];
  /** The same as plain SQL (fixed fragments and `?` for the bound paths), for a prepared take statement. */
  sql: string;
  params: string[];
}

/** The ORDER BY terms for a queue's order (core/queue/order.ts orderTerms, then seq). */
export function orderClause(text: string, terms: readonly OrderTerm[]): OrderClause {
  const out: OrderClause['terms'] = [];
  const parts: string[] = [];
  const params: string[] = [];
  const dir = (d: 'asc' | 'desc') => (d === 'desc' ? 'DESC' : 'ASC');
  for (const t of orderTerms(text, terms)) {
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
  out.push({ expr: sql`seq`, direction: 'asc' });
  parts.push('seq ASC');
  return { terms: out, sql: parts.join(', '), params };
}
