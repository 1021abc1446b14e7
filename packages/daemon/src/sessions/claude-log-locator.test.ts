import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  claudeConfigDir,
  claudeProjectDir,
  claudeProjectDirName,
  findClaudeLog,
  readClaudeStatus,
  readLastLines,
} from './claude-log-locator.js';

let home: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'oj-claude-home-'));
});

afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

function writeLog(cwd: string, name: string, lines: string[], mtimeSec: number): string {
  const dir = claudeProjectDir(cwd, { HOME: home });
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => l + '\n').join(''));
  utimesSync(path, mtimeSec, mtimeSec);
  return path;
}

describe('claudeProjectDirName', () => {
  it('replaces every character but ASCII letters and digits with a dash', () => {
    expect(claudeProjectDirName('/home/alex/code/pedicab512')).toBe('-home-alex-code-pedicab512');
    expect(claudeProjectDirName('/home/u/repos/x/.worktrees/y')).toBe('-home-u-repos-x--worktrees-y');
    expect(claudeProjectDirName('/Users/lucas.marques/my_app v2')).toBe('-Users-lucas-marques-my-app-v2');
  });
});

describe('claudeConfigDir', () => {
  it('prefers CLAUDE_CONFIG_DIR, else ~/.claude', () => {
    expect(claudeConfigDir({ CLAUDE_CONFIG_DIR: '/etc/claude', HOME: '/home/x' })).toBe('/etc/claude');
    expect(claudeConfigDir({ HOME: '/home/x' })).toBe('/home/x/.claude');
  });
});

describe('findClaudeLog', () => {
  it('picks the most recently modified session log, ignoring sub-agent logs', async () => {
    const cwd = '/work/ws-1';
    writeLog(cwd, 'old-session.jsonl', ['{}'], 1_000);
    const newest = writeLog(cwd, 'new-session.jsonl', ['{}'], 3_000);
    writeLog(cwd, 'agent-1234.jsonl', ['{}'], 5_000);
    writeLog(cwd, 'notes.txt', ['x'], 6_000);
    expect(await findClaudeLog(cwd, { env: { HOME: home } })).toBe(newest);
  });

  it('ignores logs older than the session when asked, and answers undefined without any', async () => {
    const cwd = '/work/ws-2';
    expect(await findClaudeLog(cwd, { env: { HOME: home } })).toBeUndefined();
    writeLog(cwd, 'previous.jsonl', ['{}'], 1_000);
    expect(await findClaudeLog(cwd, { env: { HOME: home }, since: 2_000_000 })).toBeUndefined();
  });
});

describe('readLastLines', () => {
  it('reads whole lines from the end of a file within the byte budget', async () => {
    const path = join(home, 'log.jsonl');
    writeFileSync(path, ['aaaaaaaaaa', 'bbbbbbbbbb', 'cccccccccc', ''].join('\n'));
    expect(await readLastLines(path)).toEqual(['aaaaaaaaaa', 'bbbbbbbbbb', 'cccccccccc']);
    expect(await readLastLines(path, 15)).toEqual(['cccccccccc']);
  });
});

describe('readClaudeStatus', () => {
  it('classifies the tail of the workspace log', async () => {
    const cwd = '/work/ws-3';
    const at = '2026-01-20T12:00:05.000Z';
    const path = writeLog(
      cwd,
      's.jsonl',
      [
        JSON.stringify({ type: 'user', timestamp: at, message: { role: 'user', content: 'go' } }),
        JSON.stringify({
          type: 'assistant',
          timestamp: at,
          isApiErrorMessage: true,
          error: 'rate_limit',
          message: { content: [{ type: 'text', text: 'API Error: Rate limit reached' }] },
        }),
      ],
      Date.now() / 1000,
    );
    const reading = await readClaudeStatus(cwd, { env: { HOME: home } });
    expect(reading?.path).toBe(path);
    expect(reading?.status).toMatchObject({ state: 'api_error', error: { reason: 'rate_limit', code: 'rate_limit' } });
  });
});
