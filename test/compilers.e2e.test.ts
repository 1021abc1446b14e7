/**
 * Issue 21 (idle memory): ojd starts with V8's optimizing compilers off
 * (bin/ojd.js) and turns them on for good once it is busy
 * (main/v8-compilers.ts), saying so in its log; OJ_COMPILERS=eager keeps V8's
 * defaults. The daemon answers the same before and after the switch.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonMethods } from '@oj/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestEnv, makeProject, ojdExit, waitFor } from './helpers/ojd-harness.js';
import { Rpc } from './helpers/rpc-call.js';

const BUSY = "busy: V8's optimizing compilers are on from now on";

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

function busyLines(): number {
  return readFileSync(join(t.stateDir, 'ojd.log'), 'utf8')
    .split('\n')
    .filter((l) => l.includes(BUSY)).length;
}

const RUNBOOK = `
[command.say]
args = "<word>"
run = "echo said {word}"
`;

async function burst(rpc: Rpc, requests: number): Promise<void> {
  await Promise.all(Array.from({ length: requests }, () => rpc.call(DaemonMethods.Ping, {})));
}

describe('V8 compilers on demand', () => {
  it('stay off while ojd idles, come on once with a burst of requests, and ojd answers the same after', async () => {
    const project = makeProject(t, 'p', { r: RUNBOOK });
    await t.startDaemon();
    const before = await t.oj(['run', 'say', 'hello'], { cwd: project });
    expect(before.exitCode).toBe(0);
    expect(before.stdout).toContain('said hello');
    expect((await t.oj(['status'], { cwd: project })).exitCode).toBe(0);
    expect(busyLines()).toBe(0);

    const rpc = await Rpc.connect(t.socket);
    try {
      await burst(rpc, 2000);
      // The log line is written when the switch happens, during the burst; the log is flushed by then or soon after.
      await waitFor('the log to say the compilers are on', () => busyLines() === 1, 10_000);
      await burst(rpc, 2000);
    } finally {
      rpc.close();
    }
    const after = await t.oj(['run', 'say', 'again'], { cwd: project });
    expect(after.exitCode).toBe(0);
    expect(after.stdout).toContain('said again');
    expect(busyLines()).toBe(1);
  }, 120_000);

  it('OJ_COMPILERS=eager: on from the start, nothing to switch', async () => {
    t.env.OJ_COMPILERS = 'eager';
    await t.startDaemon();
    const rpc = await Rpc.connect(t.socket);
    try {
      await burst(rpc, 2000);
      expect((await rpc.call(DaemonMethods.Ping, {})).pong).toBe(true);
    } finally {
      rpc.close();
    }
    expect(busyLines()).toBe(0);
  }, 120_000);

  it('an unknown OJ_COMPILERS stops ojd from starting, with the values it takes', async () => {
    const { code, stderr } = await ojdExit({ ...t.env, OJ_COMPILERS: 'turbo' });
    expect(code).toBe(2);
    expect(stderr).toContain('OJ_COMPILERS must be one of on-demand, eager (got "turbo")');
  });
});
