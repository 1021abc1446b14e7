import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLAUDE_HOOK_EVENTS } from '@oj/protocol';
import { installOjHooks, mergeOjHooks } from './claude-hooks.js';

type Settings = { permissions?: unknown; hooks: Record<string, { matcher?: string; hooks: { command: string }[] }[]> };
const commands = (s: Settings, event: string) => s.hooks[event]!.flatMap((g) => g.hooks.map((h) => h.command));

describe('mergeOjHooks', () => {
  it('adds one oj hook per event, keeping everything else', () => {
    const user = { type: 'command', command: 'notify-send done' };
    const merged = mergeOjHooks({ permissions: { allow: ['Bash(oj:*)'] }, model: 'x', hooks: { Stop: [{ hooks: [user] }], Other: [1] } }) as Settings;
    expect(merged.permissions).toEqual({ allow: ['Bash(oj:*)'] });
    expect(commands(merged, 'Stop')).toEqual(['notify-send done', 'oj session hook']);
    expect(merged.hooks.Other).toEqual([1]);
    for (const e of CLAUDE_HOOK_EVENTS) expect(commands(merged, e).filter((c) => c === 'oj session hook')).toHaveLength(1);
    expect(merged.hooks.PreToolUse![0]!.matcher).toBe('*');
  });

  it('replaces its own entries on every start, never duplicating them', () => {
    const once = mergeOjHooks({ hooks: { Stop: [{ hooks: [{ type: 'command', command: '/usr/bin/oj session hook' }, { type: 'command', command: 'mine' }] }] } });
    const twice = mergeOjHooks(mergeOjHooks(once)) as Settings;
    expect(commands(twice, 'Stop')).toEqual(['mine', 'oj session hook']);
    expect(JSON.stringify(mergeOjHooks(twice))).toBe(JSON.stringify(twice));
  });
});

describe('installOjHooks', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  it('writes .claude/settings.local.json, merging what is there; refuses a file that is not JSON', () => {
    dir = mkdtempSync(join(tmpdir(), 'oj-hooks-'));
    const path = installOjHooks(dir);
    expect(commands(JSON.parse(readFileSync(path, 'utf8')) as Settings, 'SessionStart')).toEqual(['oj session hook']);
    mkdirSync(join(dir, 'b', '.claude'), { recursive: true });
    writeFileSync(join(dir, 'b', '.claude', 'settings.local.json'), '{ not json');
    expect(() => installOjHooks(join(dir, 'b'))).toThrow();
    expect(readFileSync(join(dir, 'b', '.claude', 'settings.local.json'), 'utf8')).toBe('{ not json');
  });
});
