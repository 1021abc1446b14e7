import { describe, expect, it } from 'vitest';
import { SourceLocator } from './source-location.js';

const text = [
  '[pipeline.ship]', // 1
  'inputs = ["a"]', // 2
  '', // 3
  '[[pipeline.ship.phase]]', // 4
  'name = "one"', // 5
  'next = "x"', // 6
  '', // 7
  '[[ pipeline.ship.phase ]]  # second', // 8
  'name = "two"', // 9
  '  timeout = "5 minutes"', // 10
  '', // 11
  '[queue.q]', // 12
  'max_retries = 1', // 13
  '[queue.q.dead]', // 14
  'retention = "x"', // 15
  '[guard.g]', // 16
  'retry = { max = 1, intervl = "1s" }', // 17
  '[agent."quoted"]', // 18
  'inputs = [', // 19
  '  { nam = "x" },', // 20
  ']', // 21
  '[command]', // 22
  'inline = "x"', // 23
].join('\n');

const at = new SourceLocator(text);

describe('SourceLocator', () => {
  it.each([
    [{ kind: 'pipeline', name: 'ship' }, 1],
    [{ kind: 'pipeline', name: 'ship', field: 'inputs' }, 2],
    [{ kind: 'pipeline', name: 'ship', at: 'phase[0] "one"', field: 'next' }, 6],
    [{ kind: 'pipeline', name: 'ship', at: 'phase[1] "two"', field: 'timeout' }, 10],
    [{ kind: 'pipeline', name: 'ship', at: 'phase[1] "two"', field: 'missing' }, 8],
    [{ kind: 'queue', name: 'q', field: 'max_retries' }, 13],
    [{ kind: 'queue', name: 'q', field: 'dead.retention' }, 15],
    [{ kind: 'guard', name: 'g', field: 'retry.intervl' }, 17],
    [{ kind: 'agent', name: 'quoted', at: 'inputs[0]', field: 'nam' }, 19],
    [{ kind: 'command', name: 'inline' }, 23],
  ])('%j -> line %d', (location, line) => {
    expect(at.locate({ file: 'f', message: 'm', ...location })).toBe(line);
  });

  it('gives no line rather than a wrong one', () => {
    expect(at.locate({ file: 'f', message: 'm', kind: 'worker', name: 'nope', field: 'queue' })).toBeUndefined();
    expect(at.locate({ file: 'f', message: 'm' })).toBeUndefined();
  });

  it('finds top-level tables for unknown kinds', () => {
    expect(at.topLevel('queue')).toBe(12);
    expect(at.topLevel('nothing')).toBeUndefined();
  });
});
