/**
 * Issue 21: ojd starts shell children through its native spawner (a
 * posix_spawn helper) or, where that is not built, its Node spawner process;
 * OJ_SPAWNER picks one. The same small pipeline, a shell command with its
 * output streamed back, and ojd's death, with each.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestEnv, makeProject, ojdExit, waitFor } from './helpers/ojd-harness.js';

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

const RUNBOOK = `
[command.steps]
run = { pipeline = "steps" }

[command.say]
args = "<word>"
run = "echo said {word}; echo to-stderr >&2; exit 4"

[pipeline.steps]

[[pipeline.steps.phase]]
name = "first"
run = "echo first $$ > first.txt; echo out; echo err >&2"

[[pipeline.steps.phase]]
name = "where"
run = "pwd > where.txt; echo \\"$OJ_PIPELINE\\" >> where.txt"

[[pipeline.steps.phase]]
name = "last"
run = "sleep 0.1 & wait; echo done > last.txt"

[command.doomed]
run = { pipeline = "doomed" }

[pipeline.doomed]

[[pipeline.doomed.phase]]
name = "killed"
run = "kill -KILL $$"
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

type Status = { pid: number; spawner: { kind: string; pid: number | null; fallback: string | null } };
type Shown = { pipeline: { id: string; status: string; error: string | null } };

describe.each([
  ['native', 'oj-spawn'],
  ['node', 'spawner-process.js'],
])('OJ_SPAWNER=%s', (kind, program) => {
  it('runs a pipeline and a shell command through that spawner, says so in daemon status, and the spawner exits with ojd', async () => {
    t.env.OJ_SPAWNER = kind;
    const daemon = await t.startDaemon();
    const root = makeProject(t, 'proj', { r: RUNBOOK });

    const status = await t.ojJson<Status>(['daemon', 'status']);
    expect(status.spawner).toMatchObject({ kind, fallback: null });
    const spawnerPid = status.spawner.pid!;
    expect(spawnerPid).toBeGreaterThan(0);
    expect(readFileSync(`/proc/${spawnerPid}/cmdline`, 'utf8')).toContain(program);
    const text = await t.oj(['daemon', 'status']);
    expect(text.stdout).toMatch(new RegExp(`spawner +${kind} \\(.*pid ${spawnerPid}\\)`));

    const id = (await t.oj(['run', 'steps', '--wait'], { cwd: root })).stdout.trim().split('\n')[0]!;
    const shown = await t.ojJson<Shown>(['pipeline', 'show', id], { cwd: root });
    expect(shown.pipeline.status).toBe('done');
    expect(readFileSync(join(root, 'where.txt'), 'utf8')).toBe(`${root}\n${id}\n`);
    expect(readFileSync(join(root, 'last.txt'), 'utf8')).toBe('done\n');
    const logs = join(t.stateDir, 'logs');
    const firstLog = readdirSync(logs, { recursive: true }).map(String).find((f) => f.endsWith('first.log'))!;
    expect(readFileSync(join(logs, firstLog), 'utf8')).toMatch(/out\nerr\n/);

    // A shell command's output comes back through the spawner, and its exit code.
    const said = await t.oj(['run', 'say', 'hello'], { cwd: root });
    expect(said.stdout).toContain('said hello');
    expect(said.stderr).toContain('to-stderr');
    expect(said.exitCode).toBe(4);

    // A phase killed by a signal is reported as such.
    const doomed = (await t.oj(['run', 'doomed', '--wait'], { cwd: root })).stdout.trim().split('\n')[0]!;
    const failed = await t.ojJson<Shown>(['pipeline', 'show', doomed], { cwd: root });
    expect(failed.pipeline.status).toBe('failed');
    expect(failed.pipeline.error).toContain('killed by SIGKILL');

    // Still the same spawner process: one for all those children.
    expect((await t.ojJson<Status>(['daemon', 'status'])).spawner.pid).toBe(spawnerPid);
    daemon.kill('SIGKILL');
    await waitFor('the spawner to exit after ojd died', () => !alive(spawnerPid), 30_000);
  }, 120_000);
});

describe('OJ_SPAWNER', () => {
  it('an unknown value stops ojd from starting, with the values it takes', async () => {
    const { code, stderr } = await ojdExit({ ...t.env, OJ_SPAWNER: 'fork' });
    expect(code).toBe(1);
    expect(stderr).toContain('OJ_SPAWNER must be one of native, node, inline (got "fork")');
  });
});
