import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeLogger, createLogger, silentLogger } from './logger.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oj-logger-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const lines = (path: string): Record<string, unknown>[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the daemon log', () => {
  it('writes one JSON line per entry at its level and above: level, message, fields, timestamp', async () => {
    const path = join(dir, 'ojd.log');
    const logger = createLogger(path, { stderr: false, level: 'info' });
    logger.debug('not at info');
    logger.info('started', { pid: 7 });
    logger.log('warn', 'from a core effect', { queue: 'bugs' });
    logger.error('failed', { error: 'boom' });
    await closeLogger(logger);
    const entries = lines(path);
    expect(entries.map((e) => [e.level, e.message])).toEqual([
      ['info', 'started'],
      ['warn', 'from a core effect'],
      ['error', 'failed'],
    ]);
    expect(Object.keys(entries[0]!)).toEqual(['level', 'message', 'pid', 'timestamp']);
    expect(new Date(String(entries[0]!.timestamp)).toISOString()).toBe(entries[0]!.timestamp);
  });

  it('a field cannot pass for the level, message or time; odd values do not break the line', () => {
    const path = join(dir, 'ojd.log');
    const logger = createLogger(path, { stderr: false, level: 'debug' });
    const cycle: Record<string, unknown> = { name: 'c' };
    cycle.self = cycle;
    logger.debug('odd', { level: 'error', message: 'forged', timestamp: 'never', big: 10n, cycle, err: new Error('nope') });
    const [entry] = lines(path);
    expect(entry).toMatchObject({ level: 'debug', message: 'odd', big: '10', cycle: { name: 'c', self: '[Circular]' }, err: { name: 'Error', message: 'nope' } });
    expect(entry!.timestamp).not.toBe('never');
  });

  it('in the foreground it also writes readable lines to stderr', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const logger = createLogger(join(dir, 'ojd.log'), { stderr: true, level: 'info' });
    logger.warn('disk full', { stateDir: '/s' });
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z warn disk full \{"stateDir":"\/s"\}\n$/);
  });

  it('an unknown level name (OJ_LOG_LEVEL=loud) logs at info; a silent logger writes nothing', () => {
    const path = join(dir, 'ojd.log');
    const logger = createLogger(path, { stderr: false, level: 'loud' });
    logger.debug('hidden');
    logger.info('shown');
    expect(lines(path).map((e) => e.message)).toEqual(['shown']);
    expect(() => silentLogger().error('nowhere', { x: 1 })).not.toThrow();
  });
});
