/** Issue 15 item 11: pipeline ids are looked up within the current project. Real ojd, real oj. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';

const BUILD = `
[command.build]
args = "<name> <prompt>"
run = { pipeline = "build" }

[pipeline.build]
inputs = ["name", "prompt"]

[[pipeline.build.phase]]
name = "work"
run = "echo {prompt} > out.txt"
`;

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

describe('pipeline lookups stay in their project', () => {
  it("an id of another project is not found here (the error says where it is); --all-projects looks wider", async () => {
    await t.startDaemon();
    const one = makeProject(t, 'one', { b: BUILD });
    const two = makeProject(t, 'two', { b: BUILD });
    expect((await t.oj(['run', 'build', 'auth', 'first', '--wait'], { cwd: one })).exitCode).toBe(0);
    expect((await t.oj(['run', 'build', 'auth', 'second', '--wait'], { cwd: two })).exitCode).toBe(0);
    const [mine] = await t.ojJson<{ id: string; project: string }[]>(['pipeline', 'list'], { cwd: two });
    expect(mine!.project).toBe(two);
    expect(mine!.id).not.toBe('build-auth');

    // In project two, "build-auth" reaches its own pipeline (by prefix), never project one's.
    const own = await t.ojJson<{ pipeline: { id: string; project: string } }>(['pipeline', 'show', 'build-auth'], { cwd: two });
    expect(own.pipeline).toMatchObject({ id: mine!.id, project: two });
    // An id only project one has is not found from project two: every pipeline command says so, and where it is.
    expect((await t.oj(['run', 'build', 'solo', 'x', '--wait'], { cwd: one })).exitCode).toBe(0);
    for (const args of [['show', 'build-solo'], ['resume', 'build-solo'], ['cancel', 'build-solo'], ['transition', 'build-solo', 'work'], ['wait', 'build-solo', '--timeout', '5s']]) {
      const r = await t.oj(['pipeline', ...args], { cwd: two });
      expect(r.exitCode, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(/pipeline not found: build-solo/);
      expect(r.stderr, args.join(' ')).toContain(`belongs to the project ${one}`);
    }
    // --all-projects reaches project one's pipeline, shown with its project.
    const wide = await t.ojJson<{ pipeline: { id: string; project: string } }>(['pipeline', 'show', 'build-solo', '--all-projects'], { cwd: two });
    expect(wide.pipeline).toMatchObject({ id: 'build-solo', project: one });
  });
});

describe("a pipeline's name is its handle", () => {
  it("list --json gives name (the unique handle) and kind (the definition); the concept's restart action resumes the right pipeline", async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      b: `
[command.build]
args = "<name>"
run = { pipeline = "build" }

[pipeline.build]
inputs = ["name"]

[[pipeline.build.phase]]
name = "work"
run = "test -f ok-{name}"

[cron.watch]
interval = "1h"
monitors = ["failed"]

[monitor.failed]
source = "oj pipeline list --status failed --json"
condition = "test -f ok-{vars.name}"
action = "oj pipeline resume {name}"
`,
    });
    for (const n of ['a', 'b']) expect((await t.oj(['run', 'build', n, '--wait'], { cwd: root })).exitCode).toBe(1);
    const list = await t.ojJson<{ id: string; name: string; kind: string }[]>(['pipeline', 'list'], { cwd: root });
    expect(list.map((p) => [p.id, p.name, p.kind]).sort()).toEqual([
      ['build-a', 'build-a', 'build'],
      ['build-b', 'build-b', 'build'],
    ]);
    // Only b may go on: the action must resume build-b itself, not "build" (an ambiguous prefix).
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${root}/ok-b`, '');
    expect((await t.oj(['cron', 'run', 'watch'], { cwd: root })).exitCode).toBe(0);
    await waitFor('build-b resumed and done', async () => (await t.ojJson<{ pipeline: { status: string } }>(['pipeline', 'show', 'build-b'], { cwd: root })).pipeline.status === 'done', 30_000);
    const after = await t.ojJson<{ id: string; status: string }[]>(['pipeline', 'list'], { cwd: root });
    expect(Object.fromEntries(after.map((p) => [p.id, p.status]))).toEqual({ 'build-a': 'failed', 'build-b': 'done' });
  });
});
