/**
 * Issue 15: agent work across daemon restarts, timeouts that bound, and
 * escalations that wait for a human. Real ojd, real oj, the fake agent in real ptys.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, TestEnv, canConnect, makeProject, waitFor } from './helpers/ojd-harness.js';

const FAKE = `node ${join(REPO, 'scripts', 'fake-agent.mjs')}`;

type Run = { run: number; phase: string; status: string; error: string | null; startedAt: string };
type Ev = { id: number; name: string; data: Record<string, unknown>; time: string };
type Shown = {
  pipeline: { id: string; status: string; phase: string | null; error: string | null; phaseStartedAt: string | null; waitingFor: { kind: string; detail?: string } | null };
  runs: Run[];
  history: Ev[];
};
type Session = { id: string; status: string; dir: string };
type Escalation = { id: number; pipeline: string | null; status: string; resolution: string | null; options: { number: number; choice: string }[] };

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

/** A project whose agent `w` runs the fake agent with `script`; phases: work (the agent) -> after; on_fail -> recover -> after. */
function project(script: unknown[], agentExtra: string, workExtra = 'on_fail = "recover"'): string {
  const toml = `
[command.go]
args = "<name>"
run = { pipeline = "p" }

[pipeline.p]
inputs = ["name"]

[[pipeline.p.phase]]
name = "work"
agent = "w"
next = "after"
${workExtra}

[[pipeline.p.phase]]
name = "recover"
run = "echo recovered >> recover.txt"

[[pipeline.p.phase]]
name = "after"
run = "echo after >> after.txt"

[agent.w]
command = "${FAKE}"
prompt_file = "prompts/w.md"
${agentExtra}
`;
  const root = makeProject(t, 'proj', { agents: toml });
  mkdirSync(join(root, 'prompts'));
  writeFileSync(join(root, 'prompts', 'w.md'), `Agent w.\n\`\`\`fake-agent\n${JSON.stringify(script)}\n\`\`\`\n`);
  return root;
}

const show = (root: string, id: string) => t.ojJson<Shown>(['pipeline', 'show', id], { cwd: root });
const sessions = (root: string) => t.ojJson<Session[]>(['session', 'list', '--all'], { cwd: root });

/** Starts the pipeline, waits for its agent session, kills ojd with SIGKILL, and waits for the agent to end unwatched. */
async function killWhileAgentRuns(root: string, name: string): Promise<{ session: Session; before: Shown }> {
  const d = await t.startDaemon();
  await t.oj(['run', 'go', name], { cwd: root });
  const session = await waitFor('the agent session', async () => (await sessions(root))[0], 20_000);
  const before = await show(root, `p-${name}`);
  d.kill('SIGKILL');
  await waitFor('ojd to die', () => d.exitCode !== null || d.signalCode !== null);
  return { session, before };
}

describe('what a restart keeps: agent phases', () => {
  it('an agent that exits 0 while ojd is down completes its phase from the recorded exit, without starting again', async () => {
    const root = project([{ print: 'started' }, { sleep: 3 }, { exit: 0 }], 'idle_timeout = "1m"');
    const { session, before } = await killWhileAgentRuns(root, 'a');
    await waitFor('the exit recorded while ojd is down', () => existsSync(join(session.dir, 'exit.json')), 30_000);
    await t.startDaemon();
    expect((await t.oj(['pipeline', 'wait', 'p-a', '--timeout', '60s'], { cwd: root })).exitCode).toBe(0);
    const shown = await show(root, 'p-a');
    expect(shown.runs.map((r) => `${r.run}:${r.phase}:${r.status}`)).toEqual(['1:work:done', '2:after:done']);
    // The adopted run is the same run: same number, same start.
    expect(shown.runs[0]!.startedAt).toBe(before.runs[0]!.startedAt);
    expect(shown.history.some((e) => e.name === 'pipeline:phase' && e.data.reason === 'daemon restarted')).toBe(false);
    expect(shown.history.some((e) => e.name === 'pipeline:adopted')).toBe(true);
    expect(existsSync(join(root, 'recover.txt'))).toBe(false);
    expect((await sessions(root)).map((s) => s.id)).toEqual([session.id]);
  });

  it('an agent that exits non-zero while ojd is down fails its phase through on_fail, without starting again', async () => {
    const root = project([{ print: 'started' }, { sleep: 3 }, { exit: 3 }], 'idle_timeout = "1m"');
    const { session } = await killWhileAgentRuns(root, 'b');
    await waitFor('the exit recorded while ojd is down', () => existsSync(join(session.dir, 'exit.json')), 30_000);
    await t.startDaemon();
    expect((await t.oj(['pipeline', 'wait', 'p-b', '--timeout', '60s'], { cwd: root })).exitCode).toBe(0);
    const shown = await show(root, 'p-b');
    expect(shown.runs.map((r) => `${r.run}:${r.phase}:${r.status}`)).toEqual(['1:work:failed', '2:recover:done', '3:after:done']);
    expect(shown.runs[0]!.error).toMatch(/exited with 3/);
    expect((await sessions(root)).map((s) => s.id)).toEqual([session.id]);
  });

  it('oj done --error sent while ojd is down (it starts one) fails the phase; the agent is not started again', async () => {
    const root = project([{ print: 'started' }, { sleep: 3 }, { oj: ['done', '--error', 'blocked on X'] }, { exit: 0 }], 'idle_timeout = "1m"');
    const { session } = await killWhileAgentRuns(root, 'c');
    // The agent's own `oj done` finds no daemon and starts one (the CLI auto-starts ojd).
    await waitFor('a daemon started by the agent', () => canConnect(t.socket), 30_000);
    expect((await t.oj(['pipeline', 'wait', 'p-c', '--timeout', '60s'], { cwd: root })).exitCode).toBe(0);
    const shown = await show(root, 'p-c');
    expect(shown.runs.map((r) => `${r.run}:${r.phase}:${r.status}`)).toEqual(['1:work:failed', '2:recover:done', '3:after:done']);
    expect(shown.runs[0]!.error).toMatch(/agent reported an error: blocked on X/);
    expect((await sessions(root)).map((s) => s.id)).toEqual([session.id]);
  });

  it('an adopted running session is the same run: phase age and run start survive the restart', async () => {
    const root = project([{ print: 'started' }, { waitInput: 'finish' }, { exit: 0 }], 'idle_timeout = "1m"');
    const { session, before } = await killWhileAgentRuns(root, 'd');
    await t.startDaemon();
    await waitFor('adopted', async () => (await show(root, 'p-d')).history.some((e) => e.name === 'pipeline:adopted'));
    const during = await show(root, 'p-d');
    expect(during.pipeline.phaseStartedAt).toBe(before.pipeline.phaseStartedAt);
    expect(during.runs.map((r) => `${r.run}:${r.phase}:${r.status}`)).toEqual(['1:work:running']);
    await t.oj(['session', 'send', session.id, 'finish'], { cwd: root });
    expect((await t.oj(['pipeline', 'wait', 'p-d', '--timeout', '60s'], { cwd: root })).exitCode).toBe(0);
    const shown = await show(root, 'p-d');
    expect(shown.runs.map((r) => `${r.run}:${r.phase}:${r.status}`)).toEqual(['1:work:done', '2:after:done']);
  });
});

describe('what a restart keeps: escalations', () => {
  it('an agent handed to a human (on_stuck escalate) stays the human\'s across kill -9: adopted, still waiting, escalation still open', async () => {
    const root = project([{ print: 'started' }, { waitInput: 'never' }], 'idle_timeout = "1s"\non_stuck = ["escalate"]', '');
    const d = await t.startDaemon();
    await t.oj(['run', 'go', 'i'], { cwd: root });
    const open = await waitFor('an open escalation', async () => {
      const list = await t.ojJson<Escalation[]>(['escalation', 'list'], { cwd: root });
      return list.find((e) => e.pipeline === 'p-i' && e.status === 'open');
    }, 30_000);
    d.kill('SIGKILL');
    await waitFor('ojd to die', () => d.exitCode !== null || d.signalCode !== null);
    await t.startDaemon();
    await waitFor('adopted', async () => (await show(root, 'p-i')).history.some((e) => e.name === 'pipeline:adopted'));
    const after = await show(root, 'p-i');
    expect(after.pipeline.status).toBe('waiting');
    expect(after.pipeline.waitingFor?.kind).toBe('human');
    const still = (await t.ojJson<Escalation[]>(['escalation', 'list', '--status', 'all'], { cwd: root })).find((e) => e.id === open.id);
    expect(still).toMatchObject({ status: 'open', resolution: null });
    // The human is still the one to decide.
    expect((await t.oj(['escalation', 'resolve', String(open.id), 'cancel'], { cwd: root })).exitCode).toBe(0);
    expect((await show(root, 'p-i')).pipeline.status).toBe('cancelled');
  });
});

describe('agent timeouts bound the run', () => {
  it('each on_timeout step gets one period, output does not reset it, and an exhausted chain fails the phase', async () => {
    const chatter = Array.from({ length: 60 }, (_, i) => [{ print: `line ${i}` }, { sleep: 0.5 }]).flat();
    const root = project(chatter, 'timeout = "2s"\nidle_timeout = "1m"\non_timeout = ["nudge", "abandon"]', '');
    await t.startDaemon();
    await t.oj(['run', 'go', 'e'], { cwd: root });
    expect((await t.oj(['pipeline', 'wait', 'p-e', '--timeout', '60s'], { cwd: root })).exitCode).toBe(1);
    const shown = await show(root, 'p-e');
    expect(shown.pipeline.status).toBe('failed');
    expect(shown.pipeline.error).toMatch(/ran past its timeout of 2s/);
    const steps = shown.history.filter((e) => e.name === 'action:nudge' || e.name === 'action:abandon');
    expect(steps.map((e) => e.name)).toEqual(['action:nudge', 'action:abandon']);
    // The daemon's own clock: step k comes no sooner than k whole periods after the run began
    // (the periods are counted from the run's start, so the run is bounded by start + 2 periods).
    const start = Date.parse(shown.runs[0]!.startedAt);
    expect(Date.parse(steps[0]!.time) - start).toBeGreaterThanOrEqual(2000);
    expect(Date.parse(steps[1]!.time) - start).toBeGreaterThanOrEqual(4000);
    const [s] = await sessions(root);
    expect(s!.status).toBe('killed');
    expect(existsSync(join(root, 'after.txt'))).toBe(false);
  });
});

describe('guard timeouts bound the wait the same way', () => {
  it('each on_timeout step of a guard gets one period; the exhausted chain fails the phase', async () => {
    const root = makeProject(t, 'proj', {
      g: `
[command.go]
args = "<name>"
run = { pipeline = "p" }

[pipeline.p]
inputs = ["name"]

[[pipeline.p.phase]]
name = "gate"
pre = ["never"]

[guard.never]
condition = "false"
retry = { max = 1000, interval = "100ms" }
timeout = "1s"
on_timeout = ["restart", "abandon"]
`,
    });
    await t.startDaemon();
    await t.oj(['run', 'go', 'h'], { cwd: root });
    expect((await t.oj(['pipeline', 'wait', 'p-h', '--timeout', '60s'], { cwd: root })).exitCode).toBe(1);
    const shown = await show(root, 'p-h');
    expect(shown.pipeline.error).toMatch(/pre guard never not met within 1s/);
    const steps = shown.history.filter((e) => e.name === 'guard:timeout');
    // (A guard cannot nudge: ["nudge", "abandon"] is rejected at load, see recovery-chains.e2e.test.ts; restart waits one more period.)
    expect(steps.map((e) => e.data.action)).toEqual(['restart', 'abandon']);
    // The daemon's own clock: the second step came a whole period after the first.
    expect(Date.parse(steps[1]!.time) - Date.parse(steps[0]!.time)).toBeGreaterThanOrEqual(1000);
  });
});

describe('escalations wait for a human', () => {
  it('agent on_timeout = "escalate" leaves the pipeline waiting for a human; output does not supersede it; a human moves it on', async () => {
    const chatter = Array.from({ length: 200 }, (_, i) => [{ print: `line ${i}` }, { sleep: 0.2 }]).flat();
    const root = project(chatter, 'timeout = "1s"\nidle_timeout = "1m"\non_timeout = "escalate"', '');
    await t.startDaemon();
    await t.oj(['run', 'go', 'f'], { cwd: root });
    const open = await waitFor('an open escalation', async () => {
      const list = await t.ojJson<Escalation[]>(['escalation', 'list'], { cwd: root });
      return list.find((e) => e.pipeline === 'p-f' && e.status === 'open');
    }, 30_000);
    expect(open.options.map((o) => o.choice)).toEqual(['retry', 'done', 'goto', 'cancel', 'message', 'dismiss']);
    // The agent keeps printing; the escalation stays open and the pipeline stays the human's.
    const [s] = await sessions(root);
    const seen = (await t.oj(['session', 'capture', s!.id], { cwd: root })).stdout;
    await waitFor('more output', async () => (await t.oj(['session', 'capture', s!.id], { cwd: root })).stdout !== seen);
    const still = await show(root, 'p-f');
    expect(still.pipeline.status).toBe('waiting');
    expect(still.pipeline.waitingFor?.kind).toBe('human');
    expect((await t.ojJson<Escalation[]>(['escalation', 'list'], { cwd: root })).find((e) => e.id === open.id)?.status).toBe('open');
    const status = (await t.oj(['status'], { cwd: root })).stdout;
    expect(status.match(/p-f/g)?.length).toBeGreaterThanOrEqual(1);
    // The human picks "done": the phase counts as done and the pipeline goes on.
    expect((await t.oj(['escalation', 'resolve', String(open.id), 'done'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['pipeline', 'wait', 'p-f', '--timeout', '60s'], { cwd: root })).exitCode).toBe(0);
    expect(existsSync(join(root, 'after.txt'))).toBe(true);
  });

  it('a strategy whose attempts all fail escalates: the pipeline waits with an open escalation, and retry runs the phase again', async () => {
    const root = makeProject(t, 'proj', {
      s: `
[command.go]
args = "<name>"
run = { pipeline = "p" }

[pipeline.p]
inputs = ["name"]

[[pipeline.p.phase]]
name = "merge"
strategy = "merge"

[[pipeline.p.phase]]
name = "after"
run = "echo after >> after.txt"

[strategy.merge]
checkpoint = "echo cp"
on_exhaust = "escalate"

[[strategy.merge.attempt]]
name = "one"
run = "test -f fixed"

[[strategy.merge.attempt]]
name = "two"
run = "test -f fixed"
`,
    });
    await t.startDaemon();
    await t.oj(['run', 'go', 'g'], { cwd: root });
    const waiting = await waitFor('waiting for a human', async () => {
      const s = await show(root, 'p-g');
      return s.pipeline.status === 'waiting' && s.pipeline.waitingFor?.kind === 'human' ? s : null;
    }, 30_000);
    expect(waiting.pipeline.waitingFor?.detail).toMatch(/strategy merge: every attempt failed/);
    const [open] = (await t.ojJson<Escalation[]>(['escalation', 'list'], { cwd: root })).filter((e) => e.pipeline === 'p-g');
    expect(open).toMatchObject({ status: 'open', resolution: null });
    expect(open!.options.map((o) => o.choice)).toEqual(['retry', 'done', 'goto', 'cancel', 'dismiss']);
    const human = (await t.oj(['escalation', 'list'], { cwd: root })).stdout;
    expect(human).not.toMatch(/nothing needs you/);
    writeFileSync(join(root, 'fixed'), '');
    expect((await t.oj(['escalation', 'resolve', String(open!.id), 'retry'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['pipeline', 'wait', 'p-g', '--timeout', '60s'], { cwd: root })).exitCode).toBe(0);
    const [after] = (await t.ojJson<Escalation[]>(['escalation', 'list', '--status', 'all'], { cwd: root })).filter((e) => e.pipeline === 'p-g');
    expect(after).toMatchObject({ status: 'resolved', resolution: 'retry' });
  });
});
