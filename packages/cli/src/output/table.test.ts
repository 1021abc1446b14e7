import { describe, expect, it } from 'vitest';
import { field, formatTable, indentBlock } from './table.js';

describe('formatTable', () => {
  it('ends with one newline: no blank line after a table', () => {
    expect(formatTable(['a', 'b'], [['1', '2']])).toBe('A  B\n1  2\n');
  });

  it('keeps a multi-line cell in its column', () => {
    expect(formatTable(['run', 'error', 'x'], [['1', 'first\nsecond', 'y']])).toBe('RUN  ERROR   X\n1    first   y\n     second\n');
  });
});

describe('indentBlock', () => {
  it('indents each line and leaves nothing after the last newline', () => {
    expect(indentBlock('A\nB\n', '  ')).toBe('  A\n  B\n');
    expect(indentBlock('A\n\nB', '  ')).toBe('  A\n\n  B');
  });
});

describe('field', () => {
  it('keeps the value column on every line of a multi-line value', () => {
    expect(field('error', 'line one\nline two')).toBe('  error      line one\n             line two');
  });
});
