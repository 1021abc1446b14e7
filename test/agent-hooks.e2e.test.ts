/**
 * Issue 20: agents that say what they are doing. A Claude-like stand-in (scripts/fake-agent.mjs
 * reads the hooks oj installs into .claude/settings.local.json and runs them as Claude Code does)
 * drives the session state; permission prompts become decisions; [safety] is enforced before a tool runs.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';

const FAKE = `node ${join(REPO, 'scripts', 'fake-agent.mjs')}`;

type Session = {
  id: string;
  status: string;
  pipeline: string | null;
  state: string | null;
  stateSince: string | null;
  message: string | null;
  transcriptPath: string | null;
  blocked: { tool: string; path: string; reason: string }[];
};
type Shown = {
  pipeline: { id: string; status: string; phase: string | null; waitingFor: { kind: string; detail?: string } | null };
  runs: { phase: string; status: string }[];
  history: { id: number; name: string; data: Record<string, unknown> }[];
};
type Escalation = { id: number; status: string; source: string; session: string | null; options: { number: number; choice: string }[] };

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

function hookProject(script: unknown[], extra: string, pipeline = `[[pipeline.p.phase]]\nname = "work"\nagent = "claude"\nnext = "after"\n[[pipeline.p.phase]]\nname = "after"\nrun = "echo moved-on > after.txt"\n`): string {
  const toml =
    `[safety]\nprotected = ["secrets"]\n\n[command.go]\nargs = "<name>"\nrun = { pipeline = "p" }\n\n[pipeline.p]\ninputs = ["name"]\n${pipeline}\n` +
    `[agent.claude]\ncommand = "${FAKE}"\nprompt_file = "prompts/claude.md"\nheartbeat = "claude"\n${extra}\n`;
  const root = makeProject(t, 'proj', { agents: toml });
  mkdirSync(join(root, 'prompts'));
  writeFileSync(join(root, 'prompts', 'claude.md'), `Do the work.\n\`\`\`fake-agent\n${JSON.stringify(script)}\n\`\`\`\n`);
  return root;
}

const sessionOf = async (root: string): Promise<Session> =>
  waitFor('a session', async () => (await t.ojJson<Session[]>(['session', 'list', '--all', '--json'], { cwd: root }))[0]);
const showSession = (root: string, id: string) => t.ojJson<Session>(['session', 'show', id, '--json'], { cwd: root });
const showPipeline = (root: string, id: string) => t.ojJson<Shown>(['pipeline', 'show', id], { cwd: root });
const statesOf = (s: Shown) => s.history.filter((e) => e.name === 'session:state').map((e) => String(e.data.state));

describe('agent state from hooks', () => {
  it('working, needs_permission (in oj status, never nudged as stuck), allow, working, idle; on_idle nudges it to oj done; a protected write is blocked; the project settings survive', async () => {
    await t.startDaemon();
    const root = hookProject(
      [
        { tool: { name: 'Write', input: { file_path: 'secrets/key.txt', content: 'leaked' } } },
        { tool: { name: 'Write', input: { file_path: 'notes.txt', content: 'fine' } } },
        { permission: { name: 'Bash', input: { command: 'echo ran > allowed.txt' }, message: 'Claude needs your permission to use Bash' } },
        { stop: true },
        { oj: ['done'] },
        { quiet: true },
      ],
      'idle_timeout = "1s"\npermission_timeout = "4s"',
    );
    // The project's own local settings: a permission and a hook of the user's.
    mkdirSync(join(root, '.claude'), { recursive: true });
    const userHook = { type: 'command', command: 'echo user-hook >> user-hook.log' };
    writeFileSync(
      join(root, '.claude', 'settings.local.json'),
      JSON.stringify({ permissions: { allow: ['Bash(ls:*)'] }, hooks: { Stop: [{ hooks: [userHook] }] } }),
    );
    await t.oj(['run', 'go', 'a'], { cwd: root });
    const first = await sessionOf(root);

    // needs_permission, with its message, listed under "Needs you".
    const asking = await waitFor('needs_permission', async () => {
      const s = await showSession(root, first.id);
      return s.state === 'needs_permission' ? s : null;
    }, 30_000);
    expect(asking.message).toBe('Claude needs your permission to use Bash');
    expect(asking.stateSince).not.toBeNull();
    const status = await t.oj(['status'], { cwd: root });
    expect(status.stdout).toMatch(/Needs you[\s\S]*needs permission: Claude needs your permission to use Bash/);
    // The same in JSON: the session, its pipeline, the prompt's kind and message.
    const json = await t.ojJson<{ needsYou: { kind: string; pipeline: string | null; session: string | null; message: string }[] }>(['status'], { cwd: root });
    expect(json.needsYou).toEqual([
      expect.objectContaining({ kind: 'permission', pipeline: 'p-a', session: first.id, message: 'Claude needs your permission to use Bash' }),
    ]);

    // Past permission_timeout (4s, four idle_timeouts) it is escalated as a permission prompt, never nudged as stuck.
    const escalation = await waitFor('permission escalation', async () => {
      const list = await t.ojJson<Escalation[]>(['escalation', 'list', '--json'], { cwd: root });
      return list.find((e) => e.status === 'open' && e.source === 'permission') ?? null;
    }, 30_000);
    expect(escalation.options.map((o) => o.choice).slice(0, 2)).toEqual(['allow', 'deny']);
    const before = await showPipeline(root, 'p-a');
    expect(before.history.map((e) => e.name)).not.toContain('session:stuck');
    expect(before.history.map((e) => e.name)).not.toContain('action:nudge');

    // The blocked write never happened, and shows on the session.
    expect(existsSync(join(root, 'secrets', 'key.txt'))).toBe(false);
    expect(readFileSync(join(root, 'notes.txt'), 'utf8')).toBe('fine');
    expect(asking.blocked).toHaveLength(1);
    expect(asking.blocked[0]!.tool).toBe('Write');
    expect(asking.blocked[0]!.reason).toContain(`protected path ${join(root, 'secrets')}`);
    expect(before.history.find((e) => e.name === 'agent:blocked')?.data.path).toBe(join(root, 'secrets', 'key.txt'));

    // Allow: the agent gets its key, runs the tool, and its state moves on.
    const resolved = await t.oj(['escalation', 'resolve', String(escalation.id), 'allow'], { cwd: root });
    expect(resolved.exitCode).toBe(0);
    // The on_idle nudge reaches it after its turn ends; it runs oj done and the pipeline moves on.
    expect((await t.oj(['pipeline', 'wait', 'p-a', '--timeout', '60s'], { cwd: root })).exitCode).toBe(0);
    expect(readFileSync(join(root, 'allowed.txt'), 'utf8')).toBe('ran\n');
    expect(readFileSync(join(root, 'after.txt'), 'utf8')).toBe('moved-on\n');
    const done = await showPipeline(root, 'p-a');
    const states = statesOf(done);
    expect(states.slice(0, 4)).toEqual(['starting', 'working', 'needs_permission', 'working']);
    expect(states).toContain('idle');
    expect(states.indexOf('idle')).toBeGreaterThan(3);
    expect(states[states.length - 1]).toBe('ended');
    const names = done.history.map((e) => e.name);
    expect(names.indexOf('action:nudge')).toBeGreaterThan(names.indexOf('session:idle'));
    const transcript = readFileSync(join((await t.ojJson<{ dir: string }>(['session', 'show', first.id, '--json'], { cwd: root })).dir, 'transcript.log'), 'utf8');
    expect(transcript).toMatch(/oj was not told that the work is finished/);

    // The project's own entries survive; oj's hook is there once per event.
    const settings = JSON.parse(readFileSync(join(root, '.claude', 'settings.local.json'), 'utf8')) as {
      permissions: { allow: string[] };
      hooks: Record<string, { hooks: { command: string }[] }[]>;
    };
    expect(settings.permissions.allow).toContain('Bash(ls:*)');
    expect(settings.hooks.Stop!.flatMap((g) => g.hooks.map((h) => h.command))).toEqual([userHook.command, 'oj session hook']);
    for (const groups of Object.values(settings.hooks)) {
      expect(groups.flatMap((g) => g.hooks).filter((h) => h.command === 'oj session hook')).toHaveLength(1);
    }
    expect(readFileSync(join(root, 'user-hook.log'), 'utf8')).toMatch(/user-hook/);
  }, 120_000);
});
