/**
 * Issue 20, prompts as decisions and rate limits that wait. The Claude-like stand-in
 * (scripts/fake-agent.mjs) asks for a plan's approval (ExitPlanMode) and a question's answer
 * (AskUserQuestion) as Claude Code does; both are escalated at once, answered with
 * `oj escalation resolve`, and the stand-in gets the keys Claude Code's dialogs expect. A rate
 * limit with a reset time (StopFailure, or only the transcript) waits, then the agent is resumed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';

const FAKE = `node ${join(REPO, 'scripts', 'fake-agent.mjs')}`;

type Prompt = { kind: string; text: string; choices: string[] };
type Session = { id: string; state: string | null; message: string | null; prompt: Prompt | null; reason: string | null; until: string | null; dir: string };
type Escalation = { id: number; status: string; source: string; session: string | null; reason: string; prompt: Prompt | null; options: { number: number; choice: string }[] };
type Event = { id: number; name: string; time: string; data: Record<string, unknown> };
type Shown = { pipeline: { status: string }; history: Event[] };
type NeedsYou = { kind: string; pipeline: string | null; session: string | null; message: string; escalation: number | null };

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

function project(script: unknown[], agent: string): string {
  const toml =
    `[command.go]\nargs = "<name>"\nrun = { pipeline = "p" }\n\n[pipeline.p]\ninputs = ["name"]\n` +
    `[[pipeline.p.phase]]\nname = "work"\nagent = "a"\n\n` +
    `[agent.a]\ncommand = "${FAKE}"\nprompt_file = "prompts/a.md"\nheartbeat = "claude"\n${agent}\n`;
  const root = makeProject(t, 'proj', { agents: toml });
  mkdirSync(join(root, 'prompts'));
  writeFileSync(join(root, 'prompts', 'a.md'), `Work.\n\`\`\`fake-agent\n${JSON.stringify(script)}\n\`\`\`\n`);
  return root;
}

const sessionOf = (root: string) => waitFor('a session', async () => (await t.ojJson<Session[]>(['session', 'list', '--all'], { cwd: root }))[0], 30_000);
const showSession = (root: string, id: string) => t.ojJson<Session>(['session', 'show', id], { cwd: root });
const transcriptOf = (s: Session) => readFileSync(join(s.dir, 'transcript.log'), 'utf8');
const openEscalation = (root: string, source: string) =>
  waitFor(
    `an open ${source} escalation`,
    async () => (await t.ojJson<Escalation[]>(['escalation', 'list'], { cwd: root })).find((e) => e.status === 'open' && e.source === source) ?? null,
    30_000,
  );
const history = async (root: string, id: string) => (await t.ojJson<Shown>(['pipeline', 'show', id], { cwd: root })).history;

describe('prompts as decisions', () => {
  it('a plan is escalated at once (approve / reject, its text shown); a weaker permission prompt does not replace it; a choice not offered is refused; approve types its key', async () => {
    await t.startDaemon();
    const root = project(
      [{ plan: '1. add a failing test\n2. fix the parser' }, { print: 'carrying out the plan' }, { stop: true }, { oj: ['done'] }, { quiet: true }],
      // permission_timeout is long: a plan does not wait for it.
      'idle_timeout = "1s"\npermission_timeout = "10m"',
    );
    await t.oj(['run', 'go', 'plan'], { cwd: root });
    const s = await sessionOf(root);
    const esc = await openEscalation(root, 'plan');
    expect(esc.session).toBe(s.id);
    expect(esc.options.slice(0, 2).map((o) => o.choice)).toEqual(['approve', 'reject']);
    expect(esc.options.map((o) => o.choice)).not.toContain('allow');
    expect(esc.prompt).toEqual({ kind: 'plan', text: '1. add a failing test\n2. fix the parser', choices: [] });

    // The plan's text in show and list.
    const shown = await t.oj(['escalation', 'show', String(esc.id)], { cwd: root });
    expect(shown.stdout).toContain('1. add a failing test');
    expect(shown.stdout).toContain('2. fix the parser');
    expect(shown.stdout).toMatch(/1\) approve/);
    const listed = await t.oj(['escalation', 'list'], { cwd: root });
    expect(listed.stdout).toMatch(/plan: 1\. add a failing test/);

    // The stand-in's "needs your approval" notification (a generic permission prompt) came after
    // the plan: the state still says the plan.
    await waitFor('the notification ran', async () => transcriptOf(s).includes('plan?'), 30_000);
    const asking = await showSession(root, s.id);
    expect(asking.state).toBe('needs_permission');
    expect(asking.message).toBe('plan: 1. add a failing test\n2. fix the parser');
    expect(asking.prompt?.kind).toBe('plan');

    // oj status --json lists it under needsYou, as the text view does.
    const status = await t.ojJson<{ needsYou: NeedsYou[] }>(['status'], { cwd: root });
    expect(status.needsYou).toEqual([
      expect.objectContaining({ kind: 'plan', pipeline: 'p-plan', session: s.id, message: asking.message, escalation: esc.id }),
    ]);
    expect((await t.oj(['status'], { cwd: root })).stdout).toMatch(/Needs you \(1\)[\s\S]*p-plan +work +agent asks: plan: 1\. add a failing test/);

    // A choice it does not offer: refused, saying what it offers; nothing changed.
    const wrong = await t.oj(['escalation', 'resolve', String(esc.id), 'allow'], { cwd: root });
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stderr).toMatch(/does not offer "allow"; offered: 1 approve, 2 reject, /);
    expect((await t.ojJson<Escalation>(['escalation', 'show', String(esc.id)], { cwd: root })).status).toBe('open');

    expect((await t.oj(['escalation', 'resolve', String(esc.id), 'approve'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['pipeline', 'wait', 'p-plan', '--timeout', '60s'], { cwd: root })).exitCode).toBe(0);
    const text = transcriptOf(s);
    expect(text).toContain('plan: approved');
    expect(text.indexOf('carrying out the plan')).toBeGreaterThan(text.indexOf('plan: approved'));
    const events = await history(root, 'p-plan');
    const states = events.filter((e) => e.name === 'session:state').map((e) => e.data.state);
    expect(states.slice(0, 4)).toEqual(['starting', 'working', 'needs_permission', 'working']);
    expect(events.filter((e) => e.name === 'escalate')).toHaveLength(1);
  }, 120_000);

  it('a question offers one option per choice; its choice types arrow-downs and Enter; an unknown choice is refused with the offered ones; a rejected plan answers Esc', async () => {
    await t.startDaemon();
    const root = project(
      [
        { question: { questions: [{ question: 'Which database?', header: 'DB', options: [{ label: 'sqlite' }, { label: 'postgres' }, { label: 'mysql' }], multiSelect: false }] } },
        { plan: 'drop every table' },
        { oj: ['done'] },
        { quiet: true },
      ],
      'idle_timeout = "1s"',
    );
    await t.oj(['run', 'go', 'ask'], { cwd: root });
    const s = await sessionOf(root);
    const esc = await openEscalation(root, 'question');
    expect(esc.options.slice(0, 3).map((o) => o.choice)).toEqual(['sqlite', 'postgres', 'mysql']);
    expect(esc.prompt?.choices).toEqual(['sqlite', 'postgres', 'mysql']);
    const status = await t.ojJson<{ needsYou: NeedsYou[] }>(['status'], { cwd: root });
    expect(status.needsYou).toEqual([
      expect.objectContaining({ kind: 'question', pipeline: 'p-ask', session: s.id, message: 'question: Which database? [sqlite | postgres | mysql]', escalation: esc.id }),
    ]);

    const wrong = await t.oj(['escalation', 'resolve', String(esc.id), 'oracle'], { cwd: root });
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stderr).toMatch(/does not offer "oracle"; offered: 1 sqlite, 2 postgres, 3 mysql, 4 retry/);

    const resolved = await t.oj(['escalation', 'resolve', String(esc.id), 'mysql'], { cwd: root });
    expect(resolved.exitCode).toBe(0);
    expect(resolved.stdout).toContain('resolved: answer: mysql');
    await waitFor('the answer', async () => transcriptOf(s).includes('answer: mysql'), 30_000);

    // Then a plan, rejected: Esc (the stand-in ends its turn; on_idle nudges it on to oj done).
    const plan = await openEscalation(root, 'plan');
    expect((await t.oj(['escalation', 'resolve', String(plan.id), 'reject'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['pipeline', 'wait', 'p-ask', '--timeout', '60s'], { cwd: root })).exitCode).toBe(0);
    expect(transcriptOf(s)).toContain('plan: rejected');
    const events = await history(root, 'p-ask');
    expect(events.filter((e) => e.name === 'escalation:resolved').map((e) => e.data.action)).toEqual(['answer: mysql', 'reject']);
  }, 120_000);
});

describe('rate limits that wait', () => {
  it('a StopFailure rate limit with a reset time waits until it (failed, rate_limited, until shown), never stuck nor restarted, then on_idle resumes it', async () => {
    await t.startDaemon();
    // The stand-in reports a reset 15 s after its turn fails (Claude Code's older `|epoch` form:
    // second-exact; the current `resets 3pm (Zone)` form is read in reset-time.test.ts).
    const root = project(
      [{ fail: { error: 'rate_limit', message: 'Claude AI usage limit reached|%in:15%' } }, { oj: ['done'] }, { quiet: true }],
      'idle_timeout = "1s"\non_stuck = ["restart"]\non_exit = ["restart"]',
    );
    await t.oj(['run', 'go', 'limit'], { cwd: root });
    const s = await sessionOf(root);
    const waiting = await waitFor('rate limited', async () => {
      const x = await showSession(root, s.id);
      return x.state === 'failed' ? x : null;
    }, 30_000);
    expect(waiting.reason).toBe('rate_limited');
    const reset = Number(/\|(\d+)$/.exec(waiting.message!)![1]);
    expect(Date.parse(waiting.until!)).toBe(reset * 1000);
    const text = await t.oj(['session', 'show', s.id], { cwd: root });
    expect(text.stdout).toMatch(/reason +rate_limited: (waits until|reset at) \d\d:\d\d/);

    expect((await t.oj(['pipeline', 'wait', 'p-limit', '--timeout', '90s'], { cwd: root })).exitCode).toBe(0);
    const events = await history(root, 'p-limit');
    const names = events.map((e) => e.name);
    expect(names).not.toContain('session:stuck');
    expect(names).not.toContain('action:restart');
    const failed = events.find((e) => e.name === 'session:state' && e.data.state === 'failed')!;
    expect(failed.data).toMatchObject({ reason: 'rate_limited', failure: 'rate_limit', until: new Date(reset * 1000).toISOString() });
    const resume = events.find((e) => e.name === 'session:resume')!;
    expect(resume.id).toBeGreaterThan(failed.id);
    // Not resumed before the reset (a lower bound, the daemon's own clock).
    expect(Date.parse(resume.time)).toBeGreaterThanOrEqual(reset * 1000);
    const nudge = events.find((e) => e.name === 'action:nudge')!;
    expect(nudge.id).toBeGreaterThan(resume.id);
    expect(transcriptOf(s)).toMatch(/got: The rate limit that stopped you has reset/);
  }, 150_000);

  it('a rate limit only the transcript shows (no StopFailure hook): the state catches up and waits the same', async () => {
    await t.startDaemon();
    const log = join(t.root, 'claude-log.jsonl');
    const apiError = {
      type: 'assistant',
      isApiErrorMessage: true,
      error: 'rate_limit',
      message: { model: '<synthetic>', role: 'assistant', content: [{ type: 'text', text: 'Claude AI usage limit reached|%in:15%' }] },
    };
    const root = project([{ claudeLog: apiError }, { waitInput: 'has reset' }, { oj: ['done'] }, { quiet: true }], `idle_timeout = "1s"\nenv = { FAKE_AGENT_CLAUDE_LOG = "${log}" }`);
    await t.oj(['run', 'go', 'quiet'], { cwd: root });
    const s = await sessionOf(root);
    const waiting = await waitFor('rate limited', async () => {
      const x = await showSession(root, s.id);
      return x.state === 'failed' ? x : null;
    }, 30_000);
    const reset = Number(/\|(\d+)$/.exec(waiting.message!)![1]);
    expect(waiting).toMatchObject({ reason: 'rate_limited', until: new Date(reset * 1000).toISOString() });
    expect((await t.oj(['pipeline', 'wait', 'p-quiet', '--timeout', '90s'], { cwd: root })).exitCode).toBe(0);
    const events = await history(root, 'p-quiet');
    expect(events.find((e) => e.name === 'session:state' && e.data.state === 'failed')?.data.via).toBe('transcript');
    expect(events.map((e) => e.name)).not.toContain('session:stuck');
    expect(Date.parse(events.find((e) => e.name === 'session:resume')!.time)).toBeGreaterThanOrEqual(reset * 1000);
  }, 150_000);
});
