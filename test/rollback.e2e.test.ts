/**
 * Issue 15 item 14: the built-in rollback finds the pipeline's git work tree
 * from {workspace} when the pipeline made it itself (the concept document's
 * setup phase), or says clearly that there is none. Real ojd, oj and git.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';

type Ev = { id: number; name: string; data: Record<string, unknown> };
type Shown = { pipeline: { status: string; vars: Record<string, unknown> }; history: Ev[] };

const FIX = (setup: string) => `
[command.fix]
args = "<name>"
run = { pipeline = "fix" }

[pipeline.fix]
inputs = ["name"]

[[pipeline.fix.phase]]
name = "setup"
run = "${setup}"
next = "work"

[[pipeline.fix.phase]]
name = "work"
run = "cd {workspace} && git commit -q --allow-empty -m extra && test -f {project_root}/ok"
on_fail = ["rollback", "escalate"]
`;

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

async function escalated(root: string, id: string): Promise<Shown> {
  return waitFor(`${id} escalated`, async () => {
    const s = await t.ojJson<Shown>(['pipeline', 'show', id], { cwd: root });
    return s.pipeline.status === 'escalated' ? s : null;
  }, 30_000);
}

describe('rollback', () => {
  it("resets the work tree the pipeline's own setup phase made to where its branch started", async () => {
    await t.startDaemon();
    const root = makeProject(t, 'repo', { fix: FIX('git worktree add {workspace} -b {branch}') }, { git: true });
    const start = git(root, 'rev-parse', 'HEAD');
    await t.oj(['run', 'fix', 'a'], { cwd: root });
    const shown = await escalated(root, 'fix-a');
    const rollback = shown.history.find((e) => e.name === 'pipeline:rollback');
    expect(rollback?.data).toMatchObject({ outcome: 'done', to: start, target: 'branch start', phase: 'work' });
    const ws = String(shown.pipeline.vars.workspace);
    // The first attempt's commit was rolled back before the phase ran again: only the retry's commit is left.
    expect(git(ws, 'rev-list', '--count', `${start}..HEAD`)).toBe('1');
    // The project's own checkout was not touched.
    expect(git(root, 'rev-parse', 'HEAD')).toBe(start);
    // The rollback happened between the two attempts, by event id.
    const failures = shown.history.filter((e) => e.name === 'pipeline:fix-a:work:failed').map((e) => e.id);
    expect(failures).toHaveLength(2);
    expect(rollback!.id).toBeGreaterThan(failures[0]!);
    expect(rollback!.id).toBeLessThan(failures[1]!);
  });

  it('says clearly that a pipeline without a git work tree has nothing to roll back, and never resets the project checkout', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'repo', { fix: FIX('true').replace('cd {workspace} && ', '') }, { git: true });
    const start = git(root, 'rev-parse', 'HEAD');
    await t.oj(['run', 'fix', 'b'], { cwd: root });
    const shown = await escalated(root, 'fix-b');
    const rollback = shown.history.find((e) => e.name === 'pipeline:rollback');
    expect(rollback?.data.outcome).toBe('skipped');
    expect(String(rollback?.data.reason)).toMatch(/pipeline fix-b: it has no git work tree \(its workspace .* does not exist\)/);
    // The phase ran in the project root and committed there; rollback left that checkout alone.
    expect(git(root, 'rev-list', '--count', `${start}..HEAD`)).toBe('2');
  });
});
