import { describe, expect, it } from 'vitest';
import { notANumber, optionSuggestions } from './usage-checks.js';

describe('notANumber', () => {
  it('names the option and what was given, in either spelling', () => {
    expect(notANumber({ since: NaN }, ['events', '--since', 'abc'])).toBe('--since takes a number, got "abc"');
    expect(notANumber({ since: NaN }, ['events', '--since=abc'])).toBe('--since takes a number, got "abc"');
    expect(notANumber({ n: NaN, lines: NaN }, ['daemon', 'logs', '-n', 'many'])).toBe('-n takes a number, got "many"');
  });
  it('a positional is named as one; numbers and other values pass', () => {
    expect(notANumber({ id: NaN }, ['escalation', 'show', 'abc'])).toBe('<id> takes a number');
    expect(notANumber({ since: 5, name: 'x', all: true }, ['events', '--since', '5'])).toBeNull();
    // --limit has its own check (limit-option.ts), with a better message.
    expect(notANumber({ n: NaN, limit: NaN }, ['pipeline', 'list', '-n', 'x'])).toBeNull();
  });
});

describe('optionSuggestions', () => {
  it('suggests the closest option of the command for each unknown one', () => {
    expect(optionSuggestions('Unknown argument: fore', ['force', 'kill', 'f'])).toEqual(['Did you mean --force?']);
    expect(optionSuggestions('Unknown arguments: statu, al', ['status', 'all', 'json'])).toEqual(['Did you mean --status?', 'Did you mean --all?']);
  });
  it('says nothing when nothing is close, or for other messages', () => {
    expect(optionSuggestions('Unknown argument: zzzzzz', ['status'])).toEqual([]);
    expect(optionSuggestions('Not enough non-option arguments', ['status'])).toEqual([]);
  });
});
