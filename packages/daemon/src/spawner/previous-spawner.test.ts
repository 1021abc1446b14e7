import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awaitPreviousSpawner, readSpawnerRecord, recordSpawner } from './previous-spawner.js';
import { startTimesKnown } from './process-start.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oj-prev-spawner-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('previous spawner record', () => {
  it('records a pid with its start time and reads it back', () => {
    const file = join(dir, 'spawner.pid');
    recordSpawner(file, process.pid);
    const rec = readSpawnerRecord(file);
    expect(rec?.pid).toBe(process.pid);
    if (startTimesKnown()) expect(rec?.start).toEqual(expect.any(Number));
  });

  it('reads nothing from a missing or malformed record', () => {
    expect(readSpawnerRecord(join(dir, 'none'))).toBeNull();
    for (const text of ['', 'abc', '12', '1 5\n', '12 x\n', '-3 4\n']) {
      writeFileSync(join(dir, 'bad'), text);
      expect(readSpawnerRecord(join(dir, 'bad'))).toBeNull();
    }
  });

  it('never writes through a link left in its place', () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'keep');
    symlinkSync(target, join(dir, 'spawner.pid'));
    expect(() => recordSpawner(join(dir, 'spawner.pid'), process.pid)).toThrow(/ELOOP/);
  });
});

describe('awaitPreviousSpawner', () => {
  it('returns at once when the recorded process is gone or is someone else (another start time)', async () => {
    const file = join(dir, 'spawner.pid');
    expect(await awaitPreviousSpawner(file, 5000)).toBeNull();
    const child = spawn('true');
    const pid = child.pid!;
    await new Promise((r) => child.once('exit', r));
    writeFileSync(file, `${pid} 1\n`);
    expect(await awaitPreviousSpawner(file, 5000)).toBeNull();
  });

  it('waits until the recorded process has exited', async () => {
    const file = join(dir, 'spawner.pid');
    // Exits once its stdin closes, as the spawner does when its daemon dies.
    const child = spawn('sh', ['-c', 'read x'], { stdio: ['pipe', 'ignore', 'ignore'] });
    let childExited = false;
    const exited = new Promise((r) => child.once('exit', () => r((childExited = true))));
    recordSpawner(file, child.pid!);
    // Settles only once the process is gone: when it does, the child's exit has already happened.
    const waiting = awaitPreviousSpawner(file, 60_000).then((r) => ({ r, childExitedFirst: childExited }));
    child.stdin!.end();
    await exited;
    const { r, childExitedFirst } = await waiting;
    expect(childExitedFirst).toBe(true);
    expect(r).toEqual({ pid: child.pid, outcome: 'exited' });
  });

  it('gives up after the bound when the process keeps running', async () => {
    const file = join(dir, 'spawner.pid');
    const child = spawn('sleep', ['60']);
    try {
      recordSpawner(file, child.pid!);
      expect(await awaitPreviousSpawner(file, 50)).toEqual({ pid: child.pid, outcome: 'still running' });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
