import { describe, expect, it } from 'vitest';
import { passVerdicts } from './pass.js';

describe('monitor pass verdicts', () => {
  it('matches are stepped, clear items with state are cleared (listed or not), clear items without state are left alone', () => {
    expect(
      passVerdicts(
        [
          ['a', true],
          ['b', false],
          ['c', false],
        ],
        ['b', 'gone'],
      ),
    ).toEqual([
      { key: 'a', kind: 'match' },
      { key: 'b', kind: 'clear', listed: true },
      { key: 'gone', kind: 'clear', listed: false },
    ]);
  });

  it('keeps the order the source listed its items in, and each item is judged once', () => {
    const v = passVerdicts(
      [
        ['z', true],
        ['a', true],
        ['z', false],
      ],
      [],
    );
    expect(v).toEqual([
      { key: 'z', kind: 'match' },
      { key: 'a', kind: 'match' },
    ]);
  });

  it('nothing listed: every item with state is cleared as unlisted', () => {
    expect(passVerdicts([], ['x', 'y'])).toEqual([
      { key: 'x', kind: 'clear', listed: false },
      { key: 'y', kind: 'clear', listed: false },
    ]);
  });
});
