/** Issue: agents and the session supervisor, with the scripted fake agent in real ptys. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OJ_BIN, REPO, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { alive } from './helpers/crash-kit.js';

const FAKE = `node ${join(REPO, 'scripts', 'fake-agent.mjs')}`;

type Shown = {
  pipeline: { id: string; status: string; phase: string | null; error: string | null; waitingFor: { kind: string } | null };
  runs: { phase: string; status: string; error: string | null }[];
  history: { name: string; data: Record<string, unknown> }[];
};
type Session = { id: string; status: string; pipeline: string | null };

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

/** A project whose agents run the fake agent with the given scripts (one prompt file each). */
function agentProject(agents: Record<string, { script: unknown[]; extra?: string }>, pipeline: string): string {
  let toml = `[command.go]\nargs = "<name>"\nrun = { pipeline = "p" }\n\n[pipeline.p]\ninputs = ["name"]\n${pipeline}\n`;
  for (const [name, a] of Object.entries(agents)) {
    toml += `\n[agent.${name}]\ncommand = "${FAKE}"\nprompt_file = "prompts/${name}.md"\n${a.extra ?? ''}\n`;
  }
  const root = makeProject(t, 'proj', { agents: toml });
  mkdirSync(join(root, 'prompts'));
  for (const [name, a] of Object.entries(agents)) {
    writeFileSync(join(root, 'prompts', `${name}.md`), `Agent ${name}.\n\`\`\`fake-agent\n${JSON.stringify(a.script)}\n\`\`\`\n`);
  }
  return root;
}

const show = (root: string, id: string) => t.ojJson<Shown>(['pipeline', 'show', id], { cwd: root });

describe('agent phases', () => {
  it('an agent that works and exits 0 completes its phase; oj checkpoint records progress', async () => {
    await t.startDaemon();
    const root = agentProject(
      { worker: { script: [{ print: 'working' }, { oj: ['checkpoint', 'half way'] }, { exit: 0 }] } },
      `[[pipeline.p.phase]]\nname = "work"\nagent = "worker"\n`,
    );
    const r = await t.oj(['run', 'go', 'a', '--wait'], { cwd: root });
    expect(r.exitCode).toBe(0);
    const shown = await t.ojJson<Shown & { checkpoints: { message: string }[] }>(['pipeline', 'show', 'p-a'], { cwd: root });
    expect(shown.checkpoints.map((c) => c.message)).toEqual(['half way']);
  });

  it('oj done --error fails the phase and the pipeline on_fail runs', async () => {
    await t.startDaemon();
    const root = agentProject(
      { worker: { script: [{ oj: ['done', '--error', 'cannot reproduce'] }, { quiet: true }] } },
      `[[pipeline.p.phase]]\nname = "work"\nagent = "worker"\non_fail = "recover"\nnext = "finish"\n` +
        `[[pipeline.p.phase]]\nname = "recover"\nrun = "echo recovered > recovered.txt"\n` +
        `[[pipeline.p.phase]]\nname = "finish"\nrun = "true"\n`,
    );
    const r = await t.oj(['run', 'go', 'b', '--wait'], { cwd: root });
    expect(r.exitCode).toBe(0);
    const shown = await show(root, 'p-b');
    expect(shown.runs.map((x) => `${x.phase}:${x.status}`)).toEqual(['work:failed', 'recover:done', 'finish:done']);
    expect(shown.runs[0]!.error).toMatch(/agent reported an error: cannot reproduce/);
  });

  it('a quiet agent is nudged (the text reaches its terminal), then restarted, then escalated, per its chain', async () => {
    await t.startDaemon();
    const root = agentProject(
      { quiet: { script: [{ print: 'thinking' }, { waitInput: 'xyzzy' }], extra: 'idle_timeout = "1s"\non_stuck = ["nudge", "restart", "escalate"]' } },
      `[[pipeline.p.phase]]\nname = "work"\nagent = "quiet"\n`,
    );
    await t.oj(['run', 'go', 'c'], { cwd: root });
    const escalated = await waitFor(
      'escalation',
      async () => {
        const s = await show(root, 'p-c');
        return s.pipeline.status === 'waiting' && s.pipeline.waitingFor?.kind === 'human' ? s : null;
      },
      20_000,
      200,
    );
    const steps = escalated.history.filter((e) => e.name.startsWith('action:') || e.name === 'escalate').map((e) => e.name);
    expect(steps).toEqual(['action:nudge', 'action:restart', 'action:escalate', 'escalate']);
    // The nudge was typed into the first session's terminal (its transcript keeps it).
    const sessions = await t.ojJson<(Session & { dir: string })[]>(['session', 'list', '--all'], { cwd: root });
    expect(sessions).toHaveLength(2);
    const first = sessions.find((s) => s.status !== 'running')!;
    expect(readFileSync(join(first.dir, 'transcript.log'), 'utf8')).toMatch(/run `oj done`/);
    const live = sessions.find((s) => s.status === 'running')!;
    const screen = await t.oj(['session', 'capture', live.id], { cwd: root });
    expect(screen.stdout).toMatch(/thinking/);
    // A human takes over: cancel ends the session.
    await t.oj(['pipeline', 'cancel', 'p-c'], { cwd: root });
    await waitFor('session killed', async () => (await t.oj(['session', 'alive', live.id], { cwd: root })).exitCode === 1);
  });

  it('an agent past its timeout gets on_timeout', async () => {
    await t.startDaemon();
    const root = agentProject(
      { slow: { script: [{ print: 'busy' }, { sleep: 30 }], extra: 'timeout = "1s"\nidle_timeout = "1m"\non_timeout = "abandon"' } },
      `[[pipeline.p.phase]]\nname = "work"\nagent = "slow"\n`,
    );
    const r = await t.oj(['run', 'go', 'd', '--wait'], { cwd: root });
    expect(r.exitCode).toBe(1);
    const shown = await show(root, 'p-d');
    expect(shown.pipeline.error).toMatch(/ran past its timeout of 1s/);
    expect(shown.history.map((e) => e.name)).toContain('action:abandon');
  });

  it('send and nudge reach the agent; oj done outside a session says what it needs', async () => {
    await t.startDaemon();
    const root = agentProject(
      { talk: { script: [{ waitInput: 'hello' }, { oj: ['done'] }, { quiet: true }], extra: 'idle_timeout = "1m"' } },
      `[[pipeline.p.phase]]\nname = "work"\nagent = "talk"\n`,
    );
    await t.oj(['run', 'go', 'e'], { cwd: root });
    const session = await waitFor('session', async () => (await t.ojJson<Session[]>(['session', 'list'], { cwd: root }))[0]);
    expect((await t.oj(['session', 'alive', session.id], { cwd: root })).exitCode).toBe(0);
    await t.oj(['session', 'send', session.id, 'hello there'], { cwd: root });
    expect((await t.oj(['pipeline', 'wait', 'p-e', '--timeout', '20s'], { cwd: root })).exitCode).toBe(0);
    const bare = await t.oj(['done'], { cwd: root });
    expect(bare.exitCode).toBe(1);
    expect(bare.stderr).toMatch(/needs OJ_SESSION/);
  });

  it('oj session attach shows the live screen, typed keys reach the agent, and detaching leaves it running', async () => {
    await t.startDaemon();
    const root = agentProject(
      { talk: { script: [{ print: 'ready for input' }, { waitInput: 'ping' }, { print: 'pong!' }, { waitInput: 'bye' }, { oj: ['done'] }, { quiet: true }], extra: 'idle_timeout = "1m"' } },
      `[[pipeline.p.phase]]\nname = "work"\nagent = "talk"\n`,
    );
    await t.oj(['run', 'go', 'g'], { cwd: root });
    const session = await waitFor('session', async () => (await t.ojJson<Session[]>(['session', 'list'], { cwd: root }))[0]);
    await waitFor('agent ready', async () => (await t.oj(['session', 'capture', session.id], { cwd: root })).stdout.includes('ready for input'));
    const pty = await import('node-pty');
    const viewer = pty.spawn(process.execPath, [OJ_BIN, 'session', 'attach', session.id], { cwd: root, env: t.env as Record<string, string>, cols: 100, rows: 30 });
    let screen = '';
    viewer.onData((d) => (screen += d));
    const exited = new Promise<number>((r) => viewer.onExit((e) => r(e.exitCode)));
    await waitFor('attached screen', () => screen.includes('ready for input') && screen.includes('Ctrl-] detaches'));
    expect(screen).toContain('every other key, Ctrl-C included, goes to the agent');
    viewer.write('ping\r');
    await waitFor('agent answer through attach', () => screen.includes('pong!'));
    viewer.write('\x1d');
    expect(await exited).toBe(0);
    expect(screen).toMatch(/detached from .*; it keeps running/);
    expect((await t.oj(['session', 'alive', session.id], { cwd: root })).exitCode).toBe(0);
    await t.oj(['session', 'send', session.id, 'bye'], { cwd: root });
    expect((await t.oj(['pipeline', 'wait', 'p-g', '--timeout', '20s'], { cwd: root })).exitCode).toBe(0);
  });

  it('oj session attach without a terminal says it needs one (exit 2) instead of hanging', async () => {
    const r = await t.oj(['session', 'attach', 'p-x'], { input: '' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('oj session attach needs a terminal');
    expect(r.stderr).toContain('oj session attach p-x --read-only');
    expect(r.stdout).toBe('');
  });

  it('after a resume the live session wins the prefix; attach says how to detach and Ctrl-C reaches the agent', async () => {
    await t.startDaemon();
    const root = agentProject(
      { talk: { script: [{ print: 'ready for input' }, { waitInput: 'bye' }, { oj: ['done'] }, { quiet: true }], extra: 'idle_timeout = "1m"' } },
      `[[pipeline.p.phase]]\nname = "work"\nagent = "talk"\n`,
    );
    await t.oj(['run', 'go', 'g'], { cwd: root });
    const first = await waitFor('session', async () => (await t.ojJson<Session[]>(['session', 'list'], { cwd: root }))[0]);
    await waitFor('agent ready', async () => (await t.oj(['session', 'capture', first.id], { cwd: root })).stdout.includes('ready for input'));
    const killed = await t.oj(['session', 'kill', first.id], { cwd: root });
    expect(killed.exitCode, killed.stderr).toBe(0);
    await waitFor('the pipeline to fail', async () => (await show(root, 'p-g')).pipeline.status === 'failed');
    const resumed = await t.oj(['pipeline', 'resume', 'p-g'], { cwd: root });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const second = await waitFor('a second session', async () => (await t.ojJson<Session[]>(['session', 'list'], { cwd: root })).find((s) => s.id !== first.id));
    const all = await t.ojJson<Session[]>(['session', 'list', '--all'], { cwd: root });
    expect(all.map((s) => s.id).sort()).toEqual([first.id, second.id].sort());
    // "p-g" starts both ids; the running one wins.
    expect((await t.ojJson<Session>(['session', 'show', 'p-g'], { cwd: root })).id).toBe(second.id);
    await waitFor('agent ready', async () => (await t.oj(['session', 'capture', 'p-g'], { cwd: root })).stdout.includes('ready for input'));
    const pty = await import('node-pty');
    const viewer = pty.spawn(process.execPath, [OJ_BIN, 'session', 'attach', 'p-g'], { cwd: root, env: t.env as Record<string, string>, cols: 100, rows: 30 });
    let screen = '';
    viewer.onData((d) => (screen += d));
    const exited = new Promise<number>((r) => viewer.onExit((e) => r(e.exitCode)));
    await waitFor('attached screen', () => screen.includes('ready for input') && screen.includes(']'));
    expect(screen).toContain(`[attached to ${second.id}: Ctrl-] detaches; every other key, Ctrl-C included, goes to the agent]`);
    viewer.write('\x03');
    expect(await exited).toBe(0);
    expect(screen).toContain('[session ended: exit 130]');
    const ended = await t.ojJson<Session & { exitCode: number | null }>(['session', 'show', second.id], { cwd: root });
    expect(ended.exitCode).toBe(130);
  });

  it('oj session attach --read-only watches: keys and Ctrl-C never reach the agent, Ctrl-C detaches', async () => {
    await t.startDaemon();
    const root = agentProject(
      { talk: { script: [{ print: 'ready for input' }, { waitInput: '' }, { waitInput: 'bye' }, { oj: ['done'] }, { quiet: true }], extra: 'idle_timeout = "1m"' } },
      `[[pipeline.p.phase]]\nname = "work"\nagent = "talk"\n`,
    );
    await t.oj(['run', 'go', 'r'], { cwd: root });
    const session = await waitFor('session', async () => (await t.ojJson<Session[]>(['session', 'list'], { cwd: root }))[0]);
    await waitFor('agent ready', async () => (await t.oj(['session', 'capture', session.id], { cwd: root })).stdout.includes('ready for input'));
    const pty = await import('node-pty');
    const viewer = pty.spawn(process.execPath, [OJ_BIN, 'session', 'attach', session.id, '--read-only'], { cwd: root, env: t.env as Record<string, string>, cols: 100, rows: 30 });
    let screen = '';
    viewer.onData((d) => (screen += d));
    const exited = new Promise<number>((r) => viewer.onExit((e) => r(e.exitCode)));
    await waitFor('watching screen', () => screen.includes('ready for input') && screen.includes('keys are not sent to the agent]'));
    expect(screen).toContain(`[watching ${session.id}, read-only: Ctrl-] or Ctrl-C detaches; keys are not sent to the agent]`);
    viewer.write('typed by the watcher\r');
    viewer.write('\x03');
    expect(await exited).toBe(0);
    expect(screen).toMatch(/detached from .*; it keeps running/);
    expect((await t.oj(['session', 'alive', session.id], { cwd: root })).exitCode).toBe(0);
    await t.oj(['session', 'send', session.id, 'from send'], { cwd: root });
    // The agent's first line of input is the one sent, not the watcher's.
    const text = await waitFor('the agent to get a line', async () => {
      const c = (await t.oj(['session', 'capture', session.id], { cwd: root })).stdout;
      return c.includes('got: ') ? c : null;
    });
    expect(text).toContain('got: from send');
    expect(text).not.toContain('typed by the watcher');
    await t.oj(['session', 'send', session.id, 'bye'], { cwd: root });
    expect((await t.oj(['pipeline', 'wait', 'p-r', '--timeout', '20s'], { cwd: root })).exitCode).toBe(0);
  });

  it('an agent session outlives a daemon kill -9 and the restarted daemon adopts it', async () => {
    const d = await t.startDaemon();
    const root = agentProject(
      { long: { script: [{ print: 'started' }, { waitInput: 'finish' }, { oj: ['done'] }, { quiet: true }], extra: 'idle_timeout = "1m"' } },
      `[[pipeline.p.phase]]\nname = "work"\nagent = "long"\n`,
    );
    await t.oj(['run', 'go', 'f'], { cwd: root });
    const session = await waitFor('session', async () => (await t.ojJson<Session[]>(['session', 'list'], { cwd: root }))[0]);
    d.kill('SIGKILL');
    await waitFor('ojd to die', () => d.exitCode !== null || d.signalCode !== null);
    await t.startDaemon();
    expect((await t.oj(['session', 'alive', session.id], { cwd: root })).exitCode).toBe(0);
    await t.oj(['session', 'send', session.id, 'finish'], { cwd: root });
    expect((await t.oj(['pipeline', 'wait', 'p-f', '--timeout', '20s'], { cwd: root })).exitCode).toBe(0);
    const sessions = await t.ojJson<Session[]>(['session', 'list', '--all'], { cwd: root });
    expect(sessions.map((s) => s.id)).toEqual([session.id]);
  });
});

describe('agent input sources', () => {
  it('a source that hangs is ended, with what it started, when its pipeline is cancelled and at daemon stop', async () => {
    await t.startDaemon();
    const pids = join(t.root, 'source.pids');
    // The source leaves a background process and waits on it: it never ends by itself.
    const root = agentProject(
      { reader: { script: [{ exit: 0 }], extra: `inputs = [{ name = "issues", source = 'sleep 600 & echo $! >> ${pids}; wait' }]` } },
      `[[pipeline.p.phase]]\nname = "work"\nagent = "reader"\n`,
    );
    const started = (n: number) => waitFor(`source ${n} to start`, () => {
      const lines = existsSync(pids) ? readFileSync(pids, 'utf8').split('\n').filter(Boolean) : [];
      return lines.length >= n ? Number(lines[n - 1]) : null;
    });
    await t.oj(['run', 'go', 'a'], { cwd: root });
    const first = await started(1);
    expect(alive(first)).toBe(true);
    expect((await t.oj(['pipeline', 'cancel', 'p-a'], { cwd: root })).exitCode).toBe(0);
    await waitFor('the cancelled source to end', () => !alive(first));
    await t.oj(['run', 'go', 'b'], { cwd: root });
    const second = await started(2);
    expect((await t.oj(['daemon', 'stop'], { cwd: root })).exitCode).toBe(0);
    await waitFor('the source to end at daemon stop', () => !alive(second));
  });
});
