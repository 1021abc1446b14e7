import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { callerProcess, parseProcStat, parsePs, procInfo, type ProcInfo } from './default-holder.js';

/** A process table: pid -> [ppid, comm, cmdline]. */
function table(rows: Record<number, [number, string, string]>): (pid: number) => ProcInfo | null {
  return (pid) => {
    const r = rows[pid];
    return r ? { pid, ppid: r[0], comm: r[1], start: String(1000 + pid), cmdline: r[2] } : null;
  };
}

describe('default holder', () => {
  it('reads /proc stat lines, odd command names included', () => {
    const line = '4242 (my (odd) sh) S 4000 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 1000 100';
    expect(parseProcStat(line, 'bash\0x.sh\0')).toEqual({ pid: 4242, ppid: 4000, comm: 'my (odd) sh', start: '987654', cmdline: 'bash\0x.sh\0' });
    expect(parseProcStat('garbage')).toBeNull();
  });

  it('reads ps output, and this process through whichever the platform has', () => {
    expect(parsePs(7, '  123 Mon Jan  5 10:00:00 2026 /bin/zsh\n')).toMatchObject({ pid: 7, ppid: 123, comm: 'zsh' });
    const ps = execFileSync('ps', ['-o', 'ppid=', '-o', 'lstart=', '-o', 'comm=', '-p', String(process.pid)], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    expect(parsePs(process.pid, ps)?.ppid).toBe(process.ppid);
    expect(procInfo(process.pid)).toMatchObject({ pid: process.pid, ppid: process.ppid });
  });

  it('is the parent shell; two shells are two holders', () => {
    const info = table({ 10: [1, 'bash', '-bash'], 20: [10, 'bash', 'bash\0deploy.sh'], 21: [10, 'bash', 'bash\0deploy.sh'] });
    expect(callerProcess(20, info)?.pid).toBe(20);
    expect(callerProcess(21, info)?.pid).toBe(21);
  });

  it('looks through subshells (a fork has its parent\'s command line) and through npx / timeout', () => {
    const info = table({
      10: [1, 'bash', '-bash'],
      20: [10, 'bash', 'bash\0deploy.sh'],
      30: [20, 'bash', 'bash\0deploy.sh'], // ( while ...; oj lock heartbeat ...; done ) &
      40: [20, 'npm exec oj', 'npm exec oj'],
      41: [40, 'sh', 'sh\0-c\0oj lock acquire deploy'],
      50: [30, 'timeout', 'timeout\x005\0oj'],
    });
    expect(callerProcess(30, info)?.pid).toBe(20);
    expect(callerProcess(41, info)?.pid).toBe(20);
    expect(callerProcess(50, info)?.pid).toBe(20);
  });

  it('does not look through `npm run`: its shell is the script', () => {
    const info = table({ 10: [1, 'bash', '-bash'], 20: [10, 'npm run deploy', 'npm run deploy'], 21: [20, 'sh', 'sh\0-c\0oj lock acquire x'] });
    expect(callerProcess(21, info)?.pid).toBe(21);
  });
});
