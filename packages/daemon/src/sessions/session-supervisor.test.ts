import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OjError, SessionHostMethods } from '@oj/protocol';
import type { SessionEnd } from './session-handle.js';
import { SessionHostClient } from './session-host-client.js';
import { SessionTestKit, compiledHostEntry, fakeAgentSpec, processExists, repoRoot, waitFor } from './session-test-kit.js';

let kit: SessionTestKit;

beforeEach(() => {
  kit = new SessionTestKit();
});

afterEach(async () => {
  await kit.cleanup();
});

describe('SessionSupervisor.start', () => {
  it('runs the command in a pty: output reaches the transcript and the screen', async () => {
    const supervisor = kit.supervisor();
    // As ojd does: the rendered prompt goes into the session directory first.
    const promptFile = join(supervisor.prepareDir('s1').dir, 'prompt.md');
    writeFileSync(promptFile, 'Fix the flaky test\nmore detail\n');
    const handle = kit.track(
      await supervisor.start(fakeAgentSpec('s1', [{ print: 'step one' }, { quiet: true }], { args: [promptFile] })),
    );

    expect(handle.alive).toBe(true);
    expect(statSync(handle.paths.dir).mode & 0o777).toBe(0o700);
    expect(statSync(handle.paths.socket).mode & 0o777).toBe(0o600);
    expect(Number(readFileSync(handle.paths.pid, 'utf8'))).toBe(handle.hostPid);

    const screen = await waitFor('the screen to show the script', async () => {
      const text = await handle.capture();
      return text.includes('step one') && text;
    });
    expect(screen).toBe('prompt: Fix the flaky test\nstep one');
    expect(readFileSync(handle.paths.transcript, 'utf8')).toContain('prompt: Fix the flaky test\r\nstep one\r\n');
    expect(await handle.capture(1)).toBe('step one');
    expect(supervisor.list()).toEqual([handle]);
    expect(supervisor.listOnDisk()).toEqual(['s1']);
  });

  it('types into the pty: a nudge reaches the program and shows on screen', async () => {
    const supervisor = kit.supervisor();
    const handle = kit.track(await supervisor.start(fakeAgentSpec('s1', [{ waitInput: 'continue' }, { quiet: true }])));
    await waitFor('the prompt line', async () => (await handle.capture()).includes('prompt:'));

    await handle.nudge('please continue');
    const screen = await waitFor('the echo of the nudge', async () => {
      const text = await handle.capture();
      return text.includes('got: please continue') && text;
    });
    expect(screen.split('\n')).toEqual(['prompt: (none)', 'please continue', 'got: please continue']);
  });

  it('streams output to the handle and to every subscribed viewer', async () => {
    const supervisor = kit.supervisor();
    const handle = kit.track(await supervisor.start(fakeAgentSpec('s1', [{ waitInput: 'go' }, { print: 'marker-42' }, { quiet: true }])));
    const viewers = await Promise.all([SessionHostClient.connect(handle.paths.socket), SessionHostClient.connect(handle.paths.socket)]);
    try {
      const seen = viewers.map(() => ({ text: '' }));
      viewers.forEach((viewer, i) => viewer.onOutput((data) => (seen[i]!.text += data)));
      await Promise.all(viewers.map((viewer) => viewer.subscribe()));
      let handleSaw = '';
      handle.onOutput((data) => (handleSaw += data));

      await handle.nudge('go');
      await waitFor('both viewers and the handle to see the marker', () =>
        [...seen.map((s) => s.text), handleSaw].every((text) => text.includes('marker-42')),
      );
      expect(seen[0]!.text).toBe(seen[1]!.text);
    } finally {
      for (const viewer of viewers) viewer.close();
    }
  });

  it('resizes the pty: the program sees the new size', async () => {
    const supervisor = kit.supervisor();
    const handle = kit.track(await supervisor.start(fakeAgentSpec('s1', [{ quiet: true }], { cols: 80, rows: 24 })));
    await waitFor('the prompt line', async () => (await handle.capture()).includes('prompt:'));

    await handle.resize(100, 30);
    expect([handle.cols, handle.rows]).toEqual([100, 30]);
    await waitFor('the program to report the resize', async () => (await handle.capture()).includes('resized: 100x30'));
    const info = await handle.info();
    expect([info.cols, info.rows]).toEqual([100, 30]);
  });

  it('records a normal exit in exit.json before reporting it', async () => {
    const supervisor = kit.supervisor();
    const handle = kit.track(await supervisor.start(fakeAgentSpec('s1', [{ waitInput: '' }, { print: 'bye' }, { exit: 3 }])));
    const ended = handle.exited();
    let exitJsonAtReport: string | undefined;
    handle.onExit(() => {
      exitJsonAtReport = readFileSync(handle.paths.exit, 'utf8');
    });
    await handle.nudge('x');

    const end = await ended;
    expect(end).toMatchObject({ kind: 'exited', exitCode: 3, signal: null });
    expect(JSON.parse(exitJsonAtReport ?? '{}')).toMatchObject({ exitCode: 3, signal: null });
    expect(handle.alive).toBe(false);
    // The host lingers so the final screen can be read.
    expect(await handle.capture()).toContain('bye');
    await expect(handle.write('late')).rejects.toThrow(/has exited/);
  });

  it('kill ends the session and exit.json records the signal', async () => {
    const supervisor = kit.supervisor();
    const handle = kit.track(await supervisor.start(fakeAgentSpec('s1', [{ quiet: true }])));
    await waitFor('the prompt line', async () => (await handle.capture()).includes('prompt:'));

    const end = await handle.kill({ graceMs: 2000 });
    expect(end).toMatchObject({ kind: 'exited', exitCode: null, signal: 'SIGTERM' });
    expect(JSON.parse(readFileSync(handle.paths.exit, 'utf8'))).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    expect(processExists(handle.childPid)).toBe(false);

    await handle.shutdown();
    await waitFor('the host to exit', () => !processExists(handle.hostPid));
    expect(existsSync(handle.paths.socket)).toBe(false);
    expect(supervisor.list()).toEqual([]);
  });

  it('reports a command that is not found, with the host error', async () => {
    const supervisor = kit.supervisor();
    const spec = { ...fakeAgentSpec('s1', []), command: ['no-such-agent-binary'] };
    const error = await supervisor.start(spec).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OjError);
    expect((error as OjError).message).toMatch(/failed to start: command not found on PATH: no-such-agent-binary/);
    expect((error as OjError).data.kind).toBe('session_start_failed');
  });

  it("reports the host's own crash output when it cannot even load", async () => {
    const bogusEntry = join(kit.root, 'broken-host.mjs');
    writeFileSync(bogusEntry, 'throw new Error("host exploded on load");\n');
    const supervisor = kit.supervisor({ hostEntry: bogusEntry });
    await expect(supervisor.start(fakeAgentSpec('s1', []))).rejects.toThrow(/host exploded on load/);
  });

  it('refuses a duplicate id and an invalid spec', async () => {
    const supervisor = kit.supervisor();
    kit.track(await supervisor.start(fakeAgentSpec('s1', [{ quiet: true }])));
    await expect(supervisor.start(fakeAgentSpec('s1', []))).rejects.toThrow(/already exists/);
    await expect(supervisor.start({ ...fakeAgentSpec('../evil', []) })).rejects.toThrow(/invalid session spec/);
  });
});

describe('SessionSupervisor across a daemon restart', () => {
  it('reconnects to a live session after the supervisor is dropped', async () => {
    const first = kit.supervisor();
    const original = kit.track(await first.start(fakeAgentSpec('s1', [{ waitInput: 'again' }, { print: 'still here' }, { quiet: true }])));
    await waitFor('the prompt line', async () => (await original.capture()).includes('prompt:'));
    await first.stopAll(); // daemon stop: sessions keep running
    expect(processExists(original.childPid)).toBe(true);

    const second = kit.supervisor();
    const result = await second.reconnect('s1');
    expect(result.status).toBe('running');
    if (result.status !== 'running') return;
    kit.track(result.handle);
    expect(result.handle.childPid).toBe(original.childPid);
    await result.handle.nudge('again');
    await waitFor('output after reconnect', async () => (await result.handle.capture()).includes('still here'));
  });

  it('reports the exit code of an agent that exited while nobody was connected', async () => {
    const first = kit.supervisor();
    const handle = kit.track(await first.start(fakeAgentSpec('s1', [{ waitInput: 'finish' }, { exit: 7 }], { lingerMs: 60_000 })));
    await first.stopAll();

    // While "ojd is down", something else makes the agent finish.
    const outsider = await SessionHostClient.connect(handle.paths.socket);
    await outsider.call(SessionHostMethods.Write, { data: 'finish\r' });
    outsider.close();
    await waitFor('exit.json', () => existsSync(handle.paths.exit));

    // The host still lingers: reconnect gets the exit and a handle to read the final screen.
    const second = kit.supervisor();
    const lingering = await second.reconnect('s1');
    expect(lingering).toMatchObject({ status: 'exited', exit: { exitCode: 7, signal: null } });
    if (lingering.status !== 'exited' || !lingering.handle) throw new Error('expected a lingering host');
    expect(await lingering.handle.capture()).toContain('got: finish');
    await lingering.handle.shutdown();
    await waitFor('the host to exit', () => !processExists(handle.hostPid));

    // The host is gone too: exit.json alone answers.
    const third = kit.supervisor();
    expect(await third.reconnect('s1')).toEqual({
      status: 'exited',
      exit: { exitCode: 7, signal: null, at: expect.any(String) as string },
    });
  });

  it('reports a host killed with SIGKILL as vanished, live and after a restart', async () => {
    const first = kit.supervisor();
    const handle = kit.track(await first.start(fakeAgentSpec('s1', [{ quiet: true }])));
    const ended = handle.exited();

    process.kill(handle.hostPid, 'SIGKILL');
    const end: SessionEnd = await ended;
    expect(end.kind).toBe('vanished');
    expect(existsSync(handle.paths.exit)).toBe(false);
    await waitFor('the agent to die with its pty', () => !processExists(handle.childPid));

    const second = kit.supervisor({ reconnectGraceMs: 200 });
    expect(await second.reconnect('s1')).toEqual({ status: 'vanished' });
  });

  it('keeps the session running when the daemon process is killed', async () => {
    // A stand-in ojd in its own process: starts a session, reports it, then dies by SIGKILL.
    const supervisorModule = pathToFileURL(join(repoRoot, 'packages/daemon/dist/sessions/session-supervisor.js')).href;
    const spec = fakeAgentSpec('s1', [{ waitInput: 'ping' }, { print: 'pong' }, { quiet: true }]);
    const program = `
      const { SessionSupervisor } = await import(${JSON.stringify(supervisorModule)});
      const supervisor = new SessionSupervisor({ sessionsRoot: ${JSON.stringify(kit.root)}, hostEntry: ${JSON.stringify(compiledHostEntry())} });
      const handle = await supervisor.start(${JSON.stringify(spec)});
      process.stdout.write(JSON.stringify({ hostPid: handle.hostPid, childPid: handle.childPid }) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const daemon = spawn(process.execPath, ['--input-type=module', '-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
    const started = await new Promise<{ hostPid: number; childPid: number }>((resolve, reject) => {
      daemon.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()) as { hostPid: number; childPid: number }));
      daemon.once('exit', (code) => reject(new Error(`stand-in daemon exited ${code}`)));
    });
    daemon.kill('SIGKILL');
    await new Promise((resolve) => daemon.once('exit', resolve));
    process.kill(started.hostPid, 'SIGHUP'); // a hangup is ignored too

    const result = await kit.supervisor().reconnect('s1');
    expect(result.status).toBe('running');
    if (result.status !== 'running') return;
    kit.track(result.handle);
    expect(result.handle.hostPid).toBe(started.hostPid);
    await result.handle.nudge('ping');
    await waitFor('the agent to answer after the daemon died', async () => (await result.handle.capture()).includes('pong'));
  });

  it('a SIGTERM to the host ends the command and records it', async () => {
    const handle = kit.track(await kit.supervisor().start(fakeAgentSpec('s1', [{ quiet: true }])));
    await waitFor('the prompt line', async () => (await handle.capture()).includes('prompt:'));
    process.kill(handle.hostPid, 'SIGTERM');
    expect(await handle.exited()).toMatchObject({ kind: 'exited', signal: 'SIGTERM' });
    await waitFor('the host to exit', () => !processExists(handle.hostPid));
    expect(existsSync(handle.paths.socket)).toBe(false);
    expect(JSON.parse(readFileSync(handle.paths.exit, 'utf8'))).toMatchObject({ signal: 'SIGTERM' });
  });

  it('fails to reconnect an unknown session', async () => {
    await expect(kit.supervisor().reconnect('nope')).rejects.toThrow(/session not found: nope/);
  });

  it('stopAll({ kill: true }) kills every session and ends its host', async () => {
    const supervisor = kit.supervisor();
    const a = kit.track(await supervisor.start(fakeAgentSpec('a', [{ quiet: true }])));
    const b = kit.track(await supervisor.start(fakeAgentSpec('b', [{ quiet: true }])));
    await supervisor.stopAll({ kill: true, graceMs: 2000 });
    for (const handle of [a, b]) {
      expect(handle.end).toMatchObject({ kind: 'exited', signal: 'SIGTERM' });
      await waitFor(`host ${handle.id} to exit`, () => !processExists(handle.hostPid));
    }
  });
});

describe('SessionHandle.idleMs', () => {
  it('grows while the agent is quiet and resets on output', async () => {
    let now = Date.now();
    const supervisor = kit.supervisor({ now: () => now });
    const handle = kit.track(await supervisor.start(fakeAgentSpec('s1', [{ print: 'thinking' }, { quiet: true }, { print: 'woke up' }, { quiet: true }])));
    await waitFor('the quiet point', async () => (await handle.capture()).includes('thinking'));

    // Output so far was stamped by the host's wall clock (before the handle subscribed) or by
    // this clock; both are at or before the wall-clock time now.
    now = Date.now();
    const before = handle.idleMs();
    expect(before).toBeLessThan(5_000);
    now += 90_000;
    expect(handle.idleMs()).toBe(before + 90_000);
    expect(handle.idleMs(now + 10_000)).toBe(before + 100_000);

    await handle.send('k');
    await waitFor('output after the keypress', async () => (await handle.capture()).includes('woke up'));
    expect(handle.idleMs()).toBe(0);
    now += 1500;
    expect(handle.idleMs()).toBe(1500);
  });
});
