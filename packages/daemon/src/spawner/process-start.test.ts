import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseStatStartTime, processStartTime, recordedGroupIsOurs, startTimesKnown } from './process-start.js';

/** A /proc/PID/stat line with the given comm and starttime (field 22). */
function statLine(comm: string, starttime: string): string {
  // fields 3..21 (19 of them), then starttime, then a few more
  const before = ['S', '1', '4242', '4242', '0', '-1', '4194560', '100', '0', '0', '0', '3', '1', '0', '0', '20', '0', '1', '0'];
  return `4242 (${comm}) ${before.join(' ')} ${starttime} 12345678 900 18446744073709551615 1 1 0 0 0 0 0\n`;
}

describe('parseStatStartTime', () => {
  it('reads field 22 of a plain line', () => {
    expect(parseStatStartTime(statLine('sleep', '987654'))).toBe(987654);
  });

  it('counts fields from the last ")" when comm holds spaces and parentheses', () => {
    expect(parseStatStartTime(statLine('a) (b c ) (d', '55501'))).toBe(55501);
    expect(parseStatStartTime(statLine(') (', '7'))).toBe(7);
    // A comm that looks like fields after a ")" must not shift them.
    expect(parseStatStartTime(statLine('x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20', '31337'))).toBe(31337);
  });

  it('is null for text that is not a stat line', () => {
    expect(parseStatStartTime('')).toBeNull();
    expect(parseStatStartTime('4242 no parens here')).toBeNull();
    expect(parseStatStartTime('4242 (short) S 1 2 3')).toBeNull();
    expect(parseStatStartTime(statLine('bad', '12ab'))).toBeNull();
  });
});

describe.runIf(startTimesKnown())('start times of real processes (Linux)', () => {
  it('tells a recorded group from the same id with another start time, and from a leader that is gone', async () => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const pid = child.pid!;
    try {
      const start = processStartTime(pid);
      expect(start).not.toBeNull();
      expect(recordedGroupIsOurs(pid, start)).toBe(true);
      expect(recordedGroupIsOurs(pid, start! + 1)).toBe(false);
      expect(recordedGroupIsOurs(pid, null)).toBe(false);
    } finally {
      process.kill(-pid, 'SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    expect(processStartTime(pid)).toBeNull();
  });

  it('never trusts pids 0 and 1', () => {
    expect(recordedGroupIsOurs(0, 0)).toBe(false);
    expect(recordedGroupIsOurs(1, processStartTime(1))).toBe(false);
  });
});
