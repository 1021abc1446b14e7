import { describe, expect, it } from 'vitest';
import { fastCall } from './entry.js';
import { pageNote } from './commands/pipeline-list.js';

const list = (...args: string[]) => fastCall(['pipeline', 'list', ...args]);

describe('the CLI fast path', () => {
  it('takes --version, status and pipeline list|ls with plain flags', () => {
    expect(fastCall(['--version'])).toEqual({ command: 'version' });
    expect(fastCall(['status', '--json'])).toEqual({ command: 'status', args: { json: true } });
    expect(fastCall(['pipeline', 'ls', '--active', '--all'])).toEqual({ command: 'pipeline list', args: { active: true, all: true } });
    expect(list()).toEqual({ command: 'pipeline list', args: {} });
  });

  it('takes --limit N, --limit=N and -n N with a whole number, 0 included', () => {
    expect(list('--limit', '5', '--json')).toEqual({ command: 'pipeline list', args: { json: true }, limit: 5 });
    expect(list('--json', '--limit=20')).toEqual({ command: 'pipeline list', args: { json: true }, limit: 20 });
    expect(list('-n', '0')).toEqual({ command: 'pipeline list', args: {}, limit: 0 });
    expect(list('-n', '007')).toEqual({ command: 'pipeline list', args: {}, limit: 7 });
  });

  it('leaves anything else to the full CLI (which reports usage errors)', () => {
    for (const args of [
      ['--limit', '-1'],
      ['-n', '-1'],
      ['--limit', 'x'],
      ['--limit', '1.5'],
      ['--limit', '1e3'],
      ['--limit', ''],
      ['--limit='],
      ['--limit'],
      ['-n'],
      ['--limit', '99999999999999999999'],
      ['--limit', '1', '--limit', '2'],
      ['-n5'],
      ['--json', '--json'],
      ['--has-session'],
      ['--status', 'failed'],
      ['--help'],
    ]) {
      expect(list(...args), args.join(' ')).toBeNull();
    }
    expect(fastCall(['status', '--limit', '5'])).toBeNull();
    expect(fastCall(['pipeline', 'show', 'x'])).toBeNull();
  });
});

describe('the note under a partial page', () => {
  it('says how many of how many, with thousands separators', () => {
    expect(pageNote(100, 1000)).toBe('showing the newest 100 of 1,000 pipelines; --limit 0 shows all');
    expect(pageNote(5, 12)).toBe('showing the newest 5 of 12 pipelines; --limit 0 shows all');
    expect(pageNote(100, 1234567)).toBe('showing the newest 100 of 1,234,567 pipelines; --limit 0 shows all');
  });
});
