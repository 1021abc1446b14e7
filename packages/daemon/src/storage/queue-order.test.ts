import { describe, expect, it } from 'vitest';
import { createQueryBuilder } from './query-runner.js';
import { orderClause } from './queue-order.js';

function compile(text: string, terms: { field: string; direction: 'asc' | 'desc' }[]) {
  const db = createQueryBuilder();
  let q = db.selectFrom('queue_items').select('seq');
  for (const t of orderClause(text, terms).terms) q = q.orderBy(t.expr, t.direction);
  return q.compile();
}

describe('queue order', () => {
  it('binds field paths as parameters: nothing from the runbook enters the SQL text', () => {
    const q = compile('priority DESC, created_at ASC', [
      { field: 'priority', direction: 'desc' },
      { field: 'created_at', direction: 'asc' },
    ]);
    expect(q.sql).not.toMatch(/priority/);
    expect(q.parameters).toEqual(['$."priority"', '$."priority"']);
    expect(q.sql).toMatch(/order by \(json_extract\(data, \?\) IS NULL\) asc, json_extract\(data, \?\) desc, created_at asc, seq asc$/);
  });

  it('the plain-SQL form (for the prepared take) has only fixed fragments and bound paths', () => {
    const c = orderClause('priority', [{ field: 'priority', direction: 'asc' }]);
    expect(c.sql).toBe('(json_extract(data, ?) IS NULL) ASC, json_extract(data, ?) DESC, created_at ASC, seq ASC');
    expect(c.params).toEqual(['$."priority"', '$."priority"']);
    expect(orderClause('created_at ASC', [{ field: 'created_at', direction: 'asc' }]).sql).toBe('created_at ASC, seq ASC');
    expect(orderClause('created_at DESC', [{ field: 'created_at', direction: 'desc' }]).sql).toBe('created_at DESC, seq ASC');
    expect(orderClause('rank, rank DESC', [{ field: 'rank', direction: 'asc' }, { field: 'rank', direction: 'desc' }]).sql).toBe(
      '(json_extract(data, ?) IS NULL) ASC, json_extract(data, ?) ASC, created_at ASC, seq ASC',
    );
  });
});
