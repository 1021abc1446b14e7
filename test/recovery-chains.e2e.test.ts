/**
 * Issue 17, one recovery module: every chain is checked at load against what
 * its context can run (`oj runbook check` names the file, primitive, field and
 * what the chain accepts); runbook actions run in an agent's chains too (they
 * were logged as "not applicable" and skipped); and every escalation says
 * which kind of step asked for the human.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';

const FAKE = `node ${join(REPO, 'scripts', 'fake-agent.mjs')}`;

type Esc = { id: number; pipeline: string | null; session: string | null; phase: string | null; source: string; reason: string };

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

const CHAINS = `
[pipeline.build]
[[pipeline.build.phase]]
name = "compile"
run = "make"
on_fail = ["nudge", "escalate"]

[guard.ready]
condition = "true"
on_timeout = "nudge"

[lock.deploy]
on_stale = ["release", "restart"]

[queue.jobs]
on_exhaust = ["restart", "dead"]
`;

describe('chains are checked against what their context can run', () => {
  it('oj runbook check rejects each built-in its chain cannot run, saying where and what the chain accepts', async () => {
    const root = makeProject(t, 'proj', { build: CHAINS });
    const r = await t.oj(['runbook', 'check'], { cwd: root });
    expect(r.exitCode).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toContain(
      '.oj/runbooks/build.toml:6: pipeline.build phase[0] "compile" field on_fail: the built-in action "nudge" cannot run in a pipeline phase\'s on_fail ' +
        '(it accepts restart, rollback, escalate, abandon or a runbook [action.x])',
    );
    expect(out).toContain(`guard.ready field on_timeout: the built-in action "nudge" cannot run in a guard's on_timeout (it accepts restart, escalate, abandon or a runbook [action.x])`);
    expect(out).toContain(`lock.deploy field on_stale: the built-in action "restart" cannot run in a lock's on_stale`);
    expect(out).toContain(`queue.jobs field on_exhaust: the built-in action "restart" cannot run in a queue's on_exhaust (it accepts dead, abandon, requeue, escalate or a runbook [action.x])`);
  });

  it('the same chains load once each names what its context runs (or a runbook action of that name)', async () => {
    const fixed = CHAINS.replace('["nudge", "escalate"]', '["restart", "escalate"]')
      .replace('on_timeout = "nudge"', 'on_timeout = "restart"')
      .replace('["release", "restart"]', '["release", "escalate"]')
      .concat('\n[action.restart]\nrun = "oj emit jobs:restart"\n');
    const root = makeProject(t, 'proj', { build: fixed });
    const r = await t.oj(['runbook', 'check'], { cwd: root });
    expect(r.stdout + r.stderr).not.toMatch(/cannot run/);
    expect(r.exitCode).toBe(0);
  });
});

describe('chains at run time', () => {
  it("a runbook action in an agent's on_stuck runs its command with {session}, then the chain goes on", async () => {
    await t.startDaemon();
    const toml =
      '[command.go]\nrun = { pipeline = "p" }\n[pipeline.p]\n[[pipeline.p.phase]]\nname = "work"\nagent = "quiet"\n' +
      `[agent.quiet]\ncommand = "${FAKE}"\nprompt_file = "prompts/quiet.md"\nidle_timeout = "1s"\non_stuck = ["poke", "escalate"]\n` +
      '[action.poke]\nrun = "echo poked {session} >> poked.log"\n';
    const root = makeProject(t, 'proj', { agents: toml });
    mkdirSync(join(root, 'prompts'));
    writeFileSync(join(root, 'prompts', 'quiet.md'), `Quiet.\n\`\`\`fake-agent\n${JSON.stringify([{ print: 'thinking' }, { waitInput: 'xyzzy' }])}\n\`\`\`\n`);
    await t.oj(['run', 'go'], { cwd: root });
    const [esc] = await waitFor('escalation', async () => {
      const list = await t.ojJson<Esc[]>(['escalation', 'list'], { cwd: root });
      return list.length ? list : null;
    }, 30_000, 200);
    expect(esc).toMatchObject({ pipeline: 'p', phase: 'work', source: 'agent' });
    expect(esc!.session).toBeTruthy();
    expect(readFileSync(join(root, 'poked.log'), 'utf8')).toBe(`poked ${esc!.session}\n`);
    await t.oj(['pipeline', 'cancel', 'p'], { cwd: root });
  });

  it('an escalation says which step asked: a guard and a strategy are their own sources', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      flow: `
[command.gate]
run = { pipeline = "gate" }
[pipeline.gate]
[[pipeline.gate.phase]]
name = "wait"
pre = ["never"]
[guard.never]
condition = "false"
retry = { max = 1000, interval = "100ms" }
timeout = "1s"
on_timeout = "escalate"

[command.merge]
run = { pipeline = "merge" }
[pipeline.merge]
[[pipeline.merge.phase]]
name = "land"
strategy = "land"
[strategy.land]
on_exhaust = "escalate"
[[strategy.land.attempt]]
name = "ff"
run = "false"
`,
    });
    await t.oj(['run', 'gate'], { cwd: root });
    await t.oj(['run', 'merge'], { cwd: root });
    const list = await waitFor('two escalations', async () => {
      const l = await t.ojJson<Esc[]>(['escalation', 'list'], { cwd: root });
      return l.length === 2 ? l : null;
    }, 30_000, 200);
    const by = Object.fromEntries(list.map((e) => [e.pipeline, e]));
    expect(by.gate).toMatchObject({ source: 'guard', phase: 'wait', session: null });
    expect(by.gate!.reason).toMatch(/^pre guard never not met within 1s/);
    expect(by.merge).toMatchObject({ source: 'strategy', phase: 'land', session: null });
    expect(by.merge!.reason).toMatch(/^strategy land: every attempt failed \(ff: exit code 1\)/);
  });
});
