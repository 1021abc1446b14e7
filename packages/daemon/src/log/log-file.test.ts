import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogFile } from './log-file.js';
import { createLogger } from './logger.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oj-logfile-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');

describe('LogFile', () => {
  it('appends whole lines to a private file, synchronously', () => {
    const path = join(dir, 'ojd.log');
    const f = new LogFile({ filename: path, maxBytes: 1 << 20, maxFiles: 3 });
    f.write('{"a":1}\n');
    f.write('{"b":2}\n');
    expect(lines(path)).toEqual(['{"a":1}', '{"b":2}']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('rotates past maxBytes as ojd.log -> ojd1.log -> ojd2.log, keeping maxFiles files', () => {
    const path = join(dir, 'ojd.log');
    const f = new LogFile({ filename: path, maxBytes: 100, maxFiles: 3 });
    for (let i = 0; i < 20; i++) f.write(`{"n":${String(i).padStart(2, '0')},"pad":"${'x'.repeat(30)}"}\n`);
    const all = [join(dir, 'ojd2.log'), join(dir, 'ojd1.log'), path].flatMap(lines);
    // The newest lines, in order, across the three files; nothing older is kept.
    expect(all.map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([14, 15, 16, 17, 18, 19]);
    expect(existsSync(join(dir, 'ojd3.log'))).toBe(false);
    for (const p of [path, join(dir, 'ojd1.log'), join(dir, 'ojd2.log')]) expect(statSync(p).size).toBeLessThanOrEqual(100);
  });

  it('never writes through a symbolic link, nor a file that is not private', () => {
    const target = join(dir, 'elsewhere');
    writeFileSync(target, '');
    symlinkSync(target, join(dir, 'ojd.log'));
    const viaLink = new LogFile({ filename: join(dir, 'ojd.log'), maxBytes: 1 << 20, maxFiles: 3 });
    viaLink.write('{"x":1}\n');
    expect(readFileSync(target, 'utf8')).toBe('');
    const open = join(dir, 'open.log');
    writeFileSync(open, '');
    chmodSync(open, 0o666);
    const f = new LogFile({ filename: open, maxBytes: 1 << 20, maxFiles: 3 });
    f.write('{"x":1}\n');
    expect(readFileSync(open, 'utf8')).toBe('');
  });

  it("is winston's file: the logger's lines are there as soon as it returns", () => {
    const path = join(dir, 'ojd.log');
    const logger = createLogger(path, { stderr: false, level: 'info' });
    logger.info('hello', { n: 1 });
    expect(JSON.parse(lines(path)[0]!)).toMatchObject({ level: 'info', message: 'hello', n: 1 });
  });
});
