import { describe, expect, it } from 'vitest';
import { parseSourceOutput } from './source-items.js';

describe('source output', () => {
  it('reads a JSON array of objects with ids (numbers become string ids, data kept as is)', () => {
    const r = parseSourceOutput('[{"id": 1, "title": "a"}, {"id": "B-2", "priority": 3}]\n');
    expect(r).toEqual({
      ok: true,
      items: [
        { id: '1', data: { id: 1, title: 'a' } },
        { id: 'B-2', data: { id: 'B-2', priority: 3 } },
      ],
      skipped: [],
    });
  });

  it('accepts one object per line and empty output', () => {
    expect(parseSourceOutput('{"id":"a"}\n{"id":"b"}\n')).toMatchObject({ ok: true, items: [{ id: 'a' }, { id: 'b' }] });
    expect(parseSourceOutput('  \n')).toEqual({ ok: true, items: [], skipped: [] });
  });

  it('skips elements without an id and duplicate ids; refuses what is not JSON', () => {
    const r = parseSourceOutput('[{"id":"a"},{"title":"x"},3,{"id":"a","again":true}]');
    expect(r).toMatchObject({ ok: true, items: [{ id: 'a', data: { id: 'a' } }] });
    if (r.ok) expect(r.skipped).toHaveLength(2);
    expect(parseSourceOutput('error: wk not found')).toMatchObject({ ok: false });
    expect(parseSourceOutput('"text"')).toMatchObject({ ok: false });
  });
});
