import { chmodSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { UnsafeDirectoryError } from './private-dir.js';
import { checkStateEntries } from './state-entries.js';

const root = mkdtempSync(join(tmpdir(), 'oj-state-entries-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let state: string;
let n = 0;
beforeEach(() => {
  state = join(root, `state-${n++}`);
  mkdirSync(state, { mode: 0o700 });
});

function refusal(): UnsafeDirectoryError {
  try {
    checkStateEntries(state);
  } catch (err) {
    if (err instanceof UnsafeDirectoryError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('checkStateEntries', () => {
  it('accepts an empty state dir and the entries ojd makes', () => {
    checkStateEntries(state);
    for (const d of ['bin', 'sessions', 'logs', 'workspaces']) mkdirSync(join(state, d), { mode: 0o700 });
    for (const f of ['ojd.log', 'oj.db', 'oj.db-wal', 'ojd.pid', 'ojd.out', 'bin/oj']) writeFileSync(join(state, f), '', { mode: 0o600 });
    checkStateEntries(state);
  });

  it('refuses a symbolic link in place of bin/, naming it and its target', () => {
    mkdirSync(join(root, `elsewhere-${n}`));
    symlinkSync(join(root, `elsewhere-${n}`), join(state, 'bin'));
    const err = refusal();
    expect(err.path).toBe(join(state, 'bin'));
    expect(err.message).toContain(`refusing to use ${join(state, 'bin')}: it is a symbolic link (to ${join(root, `elsewhere-${n}`)})`);
    expect(err.message).toContain(`rm -r ${join(state, 'bin')}`);
  });

  it('refuses a link in place of the log even when it points nowhere', () => {
    symlinkSync(join(root, 'not-there.log'), join(state, 'ojd.log'));
    expect(refusal().message).toMatch(/ojd\.log: it is a symbolic link/);
  });

  it('refuses an entry others can write', () => {
    mkdirSync(join(state, 'logs'));
    chmodSync(join(state, 'logs'), 0o777);
    expect(refusal().message).toContain('logs: other users can write it (mode 0777)');
  });

  it('refuses a file with another hard link (writing it would change another file)', () => {
    const other = join(root, `victim-${n}`);
    writeFileSync(other, 'x', { mode: 0o600 });
    linkSync(other, join(state, 'oj.db'));
    expect(refusal().message).toContain('oj.db: it has 2 hard links');
  });

  it('refuses an entry of the wrong kind', () => {
    writeFileSync(join(state, 'sessions'), '', { mode: 0o600 });
    expect(refusal().message).toContain('sessions: it is not a directory');
  });
});
