/** Escalations: records, options, resolve and review. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';

type Esc = { id: number; pipeline: string; phase: string; status: string; reason: string; options: { number: number; choice: string }[]; resolution: string | null };

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

const RUNBOOK = `
[command.ship]
args = "<name>"
run = { pipeline = "ship" }

[pipeline.ship]
inputs = ["name"]

[[pipeline.ship.phase]]
name = "check"
run = "test -f ok-{name}"
on_fail = ["escalate"]

[[pipeline.ship.phase]]
name = "release"
run = "echo released {name} >> released.txt"
`;

describe('escalations', () => {
  it('an on_fail escalation is listed with options; retry after a fix finishes the pipeline', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { ship: RUNBOOK });
    await t.oj(['run', 'ship', 'a'], { cwd: root });
    const [esc] = await waitFor('escalation', async () => {
      const list = await t.ojJson<Esc[]>(['escalation', 'list'], { cwd: root });
      return list.length ? list : null;
    });
    expect(esc).toMatchObject({ pipeline: 'ship-a', phase: 'check', status: 'open' });
    expect(esc!.options.map((o) => o.choice)).toEqual(['retry', 'done', 'goto', 'cancel', 'dismiss']);
    const st = await t.oj(['status'], { cwd: root });
    expect(st.stdout).toMatch(/Needs you \(1\)/);
    writeFileSync(join(root, 'ok-a'), '');
    const r = await t.oj(['escalation', 'resolve', String(esc!.id), 'retry'], { cwd: root });
    expect(r.stdout).toMatch(/resolved: retry/);
    expect((await t.oj(['pipeline', 'wait', 'ship-a', '--timeout', '20s'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['escalation', 'list'], { cwd: root })).stdout).toMatch(/nothing needs you/);
  });

  it('review takes numbered answers; "done" marks the phase done and the pipeline goes on', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { ship: RUNBOOK });
    await t.oj(['run', 'ship', 'b'], { cwd: root });
    await waitFor('escalation', async () => (await t.ojJson<Esc[]>(['escalation', 'list'], { cwd: root })).length === 1);
    const r = await t.oj(['escalation', 'review'], { cwd: root, input: '9\n2\n' });
    expect(r.stdout).toMatch(/pick 1-5/);
    expect(r.stdout).toMatch(/resolved: done/);
    expect((await t.oj(['pipeline', 'wait', 'ship-b', '--timeout', '20s'], { cwd: root })).exitCode).toBe(0);
    const all = await t.ojJson<Esc[]>(['escalation', 'list', '--status', 'all'], { cwd: root });
    expect(all[0]).toMatchObject({ status: 'resolved', resolution: 'done' });
  });

  it('a pipeline cancelled by other means resolves its escalation', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { ship: RUNBOOK });
    await t.oj(['run', 'ship', 'c'], { cwd: root });
    await waitFor('escalation', async () => (await t.ojJson<Esc[]>(['escalation', 'list'], { cwd: root })).length === 1);
    await t.oj(['pipeline', 'cancel', 'ship-c'], { cwd: root });
    const all = await t.ojJson<Esc[]>(['escalation', 'list', '--status', 'all'], { cwd: root });
    expect(all[0]!.resolution).toMatch(/superseded: the pipeline is now cancelled/);
  });

  it('a runbook action in an on_fail chain runs its command, then the chain moves on', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      act: `
[command.go]
run = { pipeline = "go" }
[pipeline.go]
[[pipeline.go.phase]]
name = "try"
run = "false"
on_fail = ["cleanup", "escalate"]
[action.cleanup]
run = "echo 'cleaned {phase}: {error}' >> cleanup.log"
`,
    });
    await t.oj(['run', 'go'], { cwd: root });
    await waitFor('escalation', async () => (await t.ojJson<Esc[]>(['escalation', 'list'], { cwd: root })).length === 1);
    const log = await waitFor('cleanup ran', () => {
      try {
        return readFileSync(join(root, 'cleanup.log'), 'utf8');
      } catch {
        return null;
      }
    });
    expect(log).toBe('cleaned try: exit code 1\n');
  });
});
