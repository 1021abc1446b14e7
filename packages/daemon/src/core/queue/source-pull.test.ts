import { describe, expect, it } from 'vitest';
import { pullStep, type KnownRow } from './source-pull.js';

const row = (over: Partial<KnownRow> = {}): KnownRow => ({ seq: 7, status: 'pending', data: '{"id":"a","v":1}', seenPull: 3, ...over });
const listed = { data: { id: 'a', v: 1 } };

describe('a source pull, per listed item', () => {
  it('a live item is seen; a pending one takes the data listed now', () => {
    expect(pullStep(listed, row(), undefined, 3)).toEqual({ type: 'seen', seq: 7, data: null });
    expect(pullStep({ data: { id: 'a', v: 2 } }, row(), undefined, 3)).toEqual({ type: 'seen', seq: 7, data: '{"id":"a","v":2}' });
    expect(pullStep({ data: { id: 'a', v: 2 } }, row({ status: 'taken' }), undefined, 3)).toEqual({ type: 'seen', seq: 7, data: null });
    expect(pullStep({ data: { id: 'a', v: 2 } }, row({ status: 'dead' }), undefined, 3)).toEqual({ type: 'seen', seq: 7, data: null });
  });

  it('a finished item the previous pull also listed is the same occurrence, not new work', () => {
    expect(pullStep(listed, undefined, row({ status: 'completed', seenPull: 3 }), 3)).toEqual({ type: 'seen', seq: 7, data: null });
  });

  it('a finished item listed again after a pull that did not list it is new work; so is an unknown one', () => {
    expect(pullStep(listed, undefined, row({ status: 'completed', seenPull: 2 }), 3)).toEqual({ type: 'insert' });
    expect(pullStep(listed, undefined, row({ status: 'completed', seenPull: null }), 3)).toEqual({ type: 'insert' });
    expect(pullStep(listed, undefined, undefined, 3)).toEqual({ type: 'insert' });
    expect(pullStep(listed, undefined, row({ status: 'completed', seenPull: 0 }), 0)).toEqual({ type: 'insert' });
  });
});
