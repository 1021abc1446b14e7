/**
 * Issue 20, continued: the real Claude Code without a login (its hooks run, it fails with
 * authentication_failed: escalated once, never restarted), `oj session report`, a denied
 * permission, and ojd down while hooks fire (the agent is neither slowed nor failed).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OJ_BIN, REPO, TestEnv, canConnect, makeProject, waitFor } from './helpers/ojd-harness.js';

const FAKE = `node ${join(REPO, 'scripts', 'fake-agent.mjs')}`;
/** The real Claude Code, a root devDependency (its package's `claude` binary). */
const require = createRequire(import.meta.url);
const CLAUDE = join(dirname(require.resolve('@anthropic-ai/claude-code/package.json')), 'bin', 'claude.exe');

type Session = { id: string; state: string | null; message: string | null; transcriptPath: string | null; dir: string };
type Shown = { pipeline: { status: string; error: string | null }; history: { name: string; data: Record<string, unknown> }[] };

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

function project(agent: string, prompt: string): string {
  const toml =
    `[command.go]\nargs = "<name>"\nrun = { pipeline = "p" }\n\n[pipeline.p]\ninputs = ["name"]\n` +
    `[[pipeline.p.phase]]\nname = "work"\nagent = "a"\n\n[agent.a]\nprompt_file = "prompts/a.md"\nheartbeat = "claude"\n${agent}\n`;
  const root = makeProject(t, 'proj', { agents: toml });
  mkdirSync(join(root, 'prompts'));
  writeFileSync(join(root, 'prompts', 'a.md'), prompt);
  return root;
}
const fenced = (script: unknown[]) => `Work.\n\`\`\`fake-agent\n${JSON.stringify(script)}\n\`\`\`\n`;
const statesOf = (s: Shown) => s.history.filter((e) => e.name === 'session:state').map((e) => String(e.data.state));

describe('agent state from hooks: more', () => {
  it.skipIf(!existsSync(CLAUDE))('the real Claude Code without a login: starting, working, failed (authentication_failed, escalated once, never restarted), ended', async () => {
    await t.startDaemon();
    const config = mkdtempSync(join(tmpdir(), 'oj-claude-config-'));
    const root = project(`command = "${CLAUDE} -p"\nenv = { CLAUDE_CONFIG_DIR = "${config}" }\non_exit = ["restart:3"]`, 'say hi');
    await t.oj(['run', 'go', 'real'], { cwd: root });
    // Claude Code runs its StopFailure and SessionEnd hooks together: either may be recorded first.
    const shown = await waitFor('escalated, its session ended', async () => {
      const [row] = await t.ojJson<Session[]>(['session', 'list', '--all', '--json'], { cwd: root });
      const s = await t.ojJson<Shown>(['pipeline', 'show', 'p-real'], { cwd: root });
      return s.pipeline.status !== 'running' && row?.state === 'ended' ? s : null;
    }, 90_000);
    const states = statesOf(shown);
    expect(states.slice(0, 2)).toEqual(['starting', 'working']);
    // The failure is recorded from the StopFailure hook: as a state when it lands before the exit,
    // as a session:failure record (the state stays ended) when it lands after.
    const isFailure = (e: Shown['history'][number]) => (e.name === 'session:state' && e.data.state === 'failed') || e.name === 'session:failure';
    const all = await waitFor('the failure recorded', async () => {
      const s = await t.ojJson<Shown>(['pipeline', 'show', 'p-real'], { cwd: root });
      return s.history.some(isFailure) ? s : null;
    }, 30_000);
    expect(states).toContain('ended');
    expect(all.history.find(isFailure)!.data.failure).toBe('authentication_failed');
    const names = shown.history.map((e) => e.name);
    expect(names.filter((n) => n === 'escalate')).toHaveLength(1);
    expect(String(shown.history.find((e) => e.name === 'escalate')!.data.reason)).toMatch(/unauthorized/);
    expect(names).not.toContain('action:restart');
    const [session] = await t.ojJson<Session[]>(['session', 'list', '--all', '--json'], { cwd: root });
    expect(session!.state).toBe('ended');
    expect(session!.transcriptPath).toMatch(/\.jsonl$/);
  }, 120_000);

  it('a denied permission types the deny key; oj session report records any CLI state', async () => {
    await t.startDaemon();
    const root = project(
      `command = "${FAKE}"\nidle_timeout = "1m"\npermission_timeout = "1s"`,
      fenced([
        { permission: { name: 'Bash', input: { command: 'echo no > denied.txt' } } },
        { oj: ['session', 'report', 'needs_permission', '--message', 'pick a colour'] },
        { waitInput: 'go on' },
        { oj: ['done'] },
        { quiet: true },
      ]),
    );
    await t.oj(['run', 'go', 'deny'], { cwd: root });
    const esc = await waitFor('permission escalation', async () => {
      const list = await t.ojJson<{ id: number; status: string; source: string }[]>(['escalation', 'list', '--json'], { cwd: root });
      return list.find((e) => e.status === 'open' && e.source === 'permission') ?? null;
    }, 30_000);
    expect((await t.oj(['escalation', 'resolve', String(esc.id), 'deny'], { cwd: root })).exitCode).toBe(0);
    const [s] = await t.ojJson<Session[]>(['session', 'list', '--json'], { cwd: root });
    const reported = await waitFor('reported state', async () => {
      const x = await t.ojJson<Session>(['session', 'show', s!.id, '--json'], { cwd: root });
      return x.message === 'pick a colour' ? x : null;
    }, 30_000);
    expect(reported.state).toBe('needs_permission');
    expect(readFileSync(join(reported.dir, 'transcript.log'), 'utf8')).toMatch(/permission: denied/);
    expect(existsSync(join(root, 'denied.txt'))).toBe(false);
    await t.oj(['session', 'send', s!.id, 'go on'], { cwd: root });
    expect((await t.oj(['pipeline', 'wait', 'p-deny', '--timeout', '60s'], { cwd: root })).exitCode).toBe(0);
    // Outside a session, or with a state that is not one: said, and the agent is never failed by it.
    const bare = await t.oj(['session', 'report', 'idle'], { cwd: root });
    expect(bare.exitCode).toBe(0);
    expect(bare.stderr).toMatch(/OJ_SESSION is not set/);
    expect((await t.oj(['session', 'report', 'sleeping'], { cwd: root })).exitCode).toBe(2);
  }, 120_000);

  it('with ojd down, oj session hook returns at once with 0 (and still blocks a protected write)', async () => {
    const env = { ...t.env, OJ_SESSION: 'no-such-session', OJ_PROTECTED_PATHS: JSON.stringify(['/x/secrets']) };
    const payload = JSON.stringify({ hook_event_name: 'Stop', session_id: 's', cwd: '/x' });
    const r = await execa(process.execPath, [OJ_BIN, 'session', 'hook'], { env, input: payload, reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    // ojd was not started by it.
    expect(await canConnect(t.socket)).toBe(false);
    const write = JSON.stringify({ hook_event_name: 'PreToolUse', cwd: '/x', tool_name: 'Write', tool_input: { file_path: 'secrets/a' } });
    const b = await execa(process.execPath, [OJ_BIN, 'session', 'hook'], { env, input: write, reject: false });
    expect(b.exitCode).toBe(2);
    expect(b.stderr).toMatch(/blocked: it is inside the protected path \/x\/secrets/);
  }, 60_000);

  it('hooks that fire while ojd is down neither slow nor fail the agent; the state catches up with the next hook', async () => {
    await t.startDaemon();
    const root = project(
      `command = "${FAKE}"\nidle_timeout = "1s"`,
      fenced([{ waitFile: 'go1' }, { tool: { name: 'Write', input: { file_path: 'notes.txt', content: 'x' } } }, { print: 'wrote while ojd was down' }, { waitFile: 'go2' }, { stop: true }, { oj: ['done'] }, { quiet: true }]),
    );
    await t.oj(['run', 'go', 'down'], { cwd: root });
    const [s] = await waitFor('working', async () => {
      const list = await t.ojJson<Session[]>(['session', 'list', '--json'], { cwd: root });
      return list[0]?.state === 'working' ? list : null;
    }, 30_000);
    expect((await t.oj(['daemon', 'stop'])).exitCode).toBe(0);
    writeFileSync(join(root, 'go1'), '');
    await waitFor('the agent goes on without ojd', async () => readFileSync(join(s!.dir, 'transcript.log'), 'utf8').includes('wrote while ojd was down'), 30_000);
    expect(readFileSync(join(root, 'notes.txt'), 'utf8')).toBe('x');
    expect(await canConnect(t.socket)).toBe(false);
    await t.startDaemon();
    writeFileSync(join(root, 'go2'), '');
    // Stop -> idle, on_idle nudges, it runs oj done: the adopted session finishes its phase.
    expect((await t.oj(['pipeline', 'wait', 'p-down', '--timeout', '60s'], { cwd: root })).exitCode).toBe(0);
    const shown = await t.ojJson<Shown>(['pipeline', 'show', 'p-down'], { cwd: root });
    expect(statesOf(shown)).toContain('idle');
    expect(shown.history.map((e) => e.name)).toContain('action:nudge');
  }, 120_000);
});
