import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { capOutFile } from './out-file-cap.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oj-out-cap-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('capOutFile (ojd.out)', () => {
  it('leaves a file within the cap alone, and a missing one', () => {
    const out = join(dir, 'ojd.out');
    expect(capOutFile(out, 100)).toBe(false);
    writeFileSync(out, 'x'.repeat(100));
    expect(capOutFile(out, 100)).toBe(false);
    expect(statSync(out).size).toBe(100);
    expect(existsSync(`${out}.1`)).toBe(false);
  });

  it('past the cap keeps the newest bytes as one private old copy and empties the file', () => {
    const out = join(dir, 'ojd.out');
    writeFileSync(out, `${'old\n'.repeat(100)}newest`);
    expect(capOutFile(out, 20)).toBe(true);
    expect(statSync(out).size).toBe(0);
    expect(readFileSync(`${out}.1`, 'utf8')).toBe('old\nold\nold\nold\nnewest'.slice(-20));
    expect(statSync(`${out}.1`).mode & 0o777).toBe(0o600);
    // Again: the one old copy is replaced, never a second one kept.
    appendFileSync(out, 'y'.repeat(30));
    expect(capOutFile(out, 20)).toBe(true);
    expect(readFileSync(`${out}.1`, 'utf8')).toBe('y'.repeat(20));
    expect(existsSync(`${out}.2`)).toBe(false);
  });

  it('a writer that appends goes on at the start of the emptied file', () => {
    const out = join(dir, 'ojd.out');
    writeFileSync(out, 'z'.repeat(50));
    const fd = openSync(out, 'a');
    try {
      expect(capOutFile(out, 10)).toBe(true);
      writeSync(fd, 'after\n');
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(out, 'utf8')).toBe('after\n');
  });
});
