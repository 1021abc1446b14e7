import { describe, expect, it } from 'vitest';
import type { OjError } from '@oj/protocol';
import { resolveByPrefix } from './id-lookup.js';

const ids = ['p-a-work-1', 'p-a-work-3', 'p-b-work-1'];
const running = new Set(['p-a-work-3']);
const resolve = (given: string, live = running) =>
  resolveByPrefix(
    'session',
    given,
    (x) => ids.includes(x),
    (p) => ids.filter((x) => x.startsWith(p)),
    () => ids,
    (p) => ids.filter((x) => x.startsWith(p) && live.has(x)),
  );

describe('resolveByPrefix', () => {
  it('a live id wins a prefix over ended ones', () => {
    expect(resolve('p-a')).toBe('p-a-work-3');
    expect(resolve('p-a-work-1')).toBe('p-a-work-1'); // an exact id is that id, live or not
    expect(resolve('p-b')).toBe('p-b-work-1');
  });

  it('several live matches, or none among several, stay ambiguous', () => {
    const err = (() => {
      try {
        resolve('p-', new Set(['p-a-work-3', 'p-b-work-1']));
      } catch (e) {
        return e as OjError;
      }
    })();
    expect(err?.message).toBe('session "p-" is ambiguous: it starts 2 live ids');
    expect(err?.data.candidates).toEqual(['p-a-work-3', 'p-b-work-1']);
    expect(() => resolve('p-a', new Set())).toThrow(/ambiguous: it starts 2 ids/);
  });
});
