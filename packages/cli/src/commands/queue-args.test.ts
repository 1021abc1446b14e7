import { describe, expect, it } from 'vitest';
import { parseItemArgs, parseJsonItems } from './queue-args.js';

describe('oj queue add arguments', () => {
  it('key=value pairs make one item; plain numbers become numbers', () => {
    expect(parseItemArgs(['id=B-1', 'title=Login fails', 'priority=2', 'code=007', 'eq=a=b'])).toEqual([
      { id: 'B-1', title: 'Login fails', priority: 2, code: '007', eq: 'a=b' },
    ]);
  });

  it('key:=json stores typed values', () => {
    expect(parseItemArgs(['tags:=["ui"]', 'id:="42"', 'n:=null'])).toEqual([{ tags: ['ui'], id: '42', n: null }]);
  });

  it('JSON objects and arrays make one item each', () => {
    expect(parseItemArgs(['{"id":1}', '[{"id":2},{"id":3}]'])).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect(parseJsonItems('{"a":1}\n{"a":2}\n', 'stdin')).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('refuses mixtures and malformed arguments', () => {
    expect(() => parseItemArgs(['{"id":1}', 'x=1'])).toThrow(/not both/);
    expect(() => parseItemArgs(['novalue'])).toThrow(/key=value/);
    expect(() => parseItemArgs(['[1,2]'])).toThrow(/not a JSON object/);
    expect(() => parseItemArgs(['x:=nope'])).toThrow(/must be JSON/);
  });
});
