import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UnsafeDirectoryError, ensurePrivateDir } from './private-dir.js';

const root = mkdtempSync(join(tmpdir(), 'oj-private-dir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('ensurePrivateDir', () => {
  it('creates a missing directory 0700', () => {
    const dir = join(root, 'new', 'state');
    ensurePrivateDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('tightens a directory of ours that others can only enter or read', () => {
    const dir = join(root, 'readable');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    ensurePrivateDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it.each([0o777, 0o770, 0o702])('refuses a directory others can write (mode %o), saying how to fix it, and leaves it as it is', (mode) => {
    const dir = join(root, `open-${mode.toString(8)}`);
    mkdirSync(dir);
    chmodSync(dir, mode);
    expect(() => ensurePrivateDir(dir)).toThrow(UnsafeDirectoryError);
    expect(() => ensurePrivateDir(dir)).toThrow(`chmod 700 ${dir}`);
    expect(statSync(dir).mode & 0o777).toBe(mode);
  });

  it('never changes the mode of a directory that holds more than oj keeps (as root, OJ_SOCKET=/ojd.sock would make / 0700)', () => {
    const dir = join(root, 'home');
    mkdirSync(join(dir, 'etc'), { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    expect(() => ensurePrivateDir(dir)).toThrow(/holds more than oj's files \(etc\); refusing to change its mode/);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    // The same directory with only oj's own entries is tightened as before.
    rmSync(join(dir, 'etc'), { recursive: true });
    mkdirSync(join(dir, 'sessions'));
    writeFileSync(join(dir, 'ojd.log'), '');
    ensurePrivateDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('refuses a shared (sticky) directory with its own advice', () => {
    const dir = join(root, 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o1777);
    expect(() => ensurePrivateDir(dir)).toThrow(/shared directory/);
  });

  it('refuses a file', () => {
    const file = join(root, 'file');
    writeFileSync(file, '');
    expect(() => ensurePrivateDir(file)).toThrow();
  });
});
