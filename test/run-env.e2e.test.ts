/**
 * Which environment variables reach a runbook command (docs/runbooks.md,
 * Environment): a runbook's `env` passes the caller's variables through and
 * sets its own; nothing else of the caller's shell gets in.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, makeProject } from './helpers/ojd-harness.js';
import { Rpc, shellExit } from './helpers/rpc-call.js';
import { CommandMethods } from '@oj/protocol';

let t: TestEnv;
beforeEach(async () => {
  t = new TestEnv();
  // The daemon must not have the variables itself: what a command sees comes from the caller.
  for (const name of ['FOO', 'BAR', 'SECRET_TOKEN']) delete t.env[name];
  await t.startDaemon();
});
afterEach(async () => {
  await t.cleanup();
});

const RB = `
[command.envtest]
env = ["FOO"]
run = 'echo "FOO=$FOO"'

[command.plain]
run = 'echo "FOO=$FOO"'

[command.setter]
args = "<target>"
env = ["FOO", { TARGET = "{target}", N = 3 }]
run = 'echo "FOO=$FOO TARGET=$TARGET N=$N"'

[command.build]
args = "<name>"
env = { FROM_COMMAND = "cmd-{name}" }
run = { pipeline = "build" }

[pipeline.build]
inputs = ["name"]
env = ["FOO", { STAGE = "in-{phase}" }]

[[pipeline.build.phase]]
name = "first"
run = 'echo "FOO=$FOO STAGE=$STAGE FROM_COMMAND=$FROM_COMMAND BAR=$BAR"'

[command.bare]
args = "<name>"
run = { pipeline = "bare" }

[pipeline.bare]
inputs = ["name"]

[[pipeline.bare.phase]]
name = "only"
run = 'echo "FOO=$FOO"'
`;

describe('environment of oj run', () => {
  it('passes FOO through only where the runbook lists it, and sets values as text', async () => {
    const root = makeProject(t, 'proj', { env: RB });
    const withFoo = { FOO: 'bar', BAR: 'not-listed' };

    const passed = await t.oj(['run', 'envtest'], { cwd: root, env: withFoo });
    expect(passed.stderr).toBe('');
    expect(passed.stdout).toBe('FOO=bar\n');

    const plain = await t.oj(['run', 'plain'], { cwd: root, env: withFoo });
    expect(plain.stdout).toBe('FOO=\n');

    // A set value is an environment variable, never shell code: the target arrives as written.
    const target = '$(touch pwned); `touch pwned2`';
    const set = await t.oj(['run', 'setter', target], { cwd: root, env: withFoo });
    expect(set.stdout).toBe(`FOO=bar TARGET=${target} N=3\n`);
    expect(() => readFileSync(join(root, 'pwned'))).toThrow();
    expect(() => readFileSync(join(root, 'pwned2'))).toThrow();
  });

  it("reaches a pipeline's phases: its list and the command's table; a pipeline without a list gets nothing of the caller", async () => {
    const root = makeProject(t, 'proj', { env: RB });
    const r = await t.oj(['run', 'build', 'x', '--wait'], { cwd: root, env: { FOO: 'bar', BAR: 'not-listed' } });
    expect(r.exitCode, r.stderr).toBe(0);
    const logs = await t.oj(['pipeline', 'logs', 'build-x'], { cwd: root });
    expect(logs.stdout).toContain('FOO=bar STAGE=in-first FROM_COMMAND=cmd-x BAR=\n');

    const bare = await t.oj(['run', 'bare', 'y', '--wait'], { cwd: root, env: { FOO: 'bar' } });
    expect(bare.exitCode, bare.stderr).toBe(0);
    expect((await t.oj(['pipeline', 'logs', 'bare-y'], { cwd: root })).stdout).toContain('FOO=\n');
  });

  it('the daemon applies only the names the runbook allows, whatever the request offers', async () => {
    const root = makeProject(t, 'proj', {
      env: `
[command.probe]
env = ["FOO"]
run = 'printf "%s|%s" "\${FOO-unset}" "\${BAR-unset}" > probe.txt'
`,
    });
    const rpc = await Rpc.connect(t.socket);
    try {
      const r = shellExit(
        await rpc.call(CommandMethods.Run, {
          project: root,
          command: 'probe',
          args: [],
          passEnv: { FOO: 'one', BAR: 'two' },
        }),
      );
      expect(r.exitCode).toBe(0);
      await expect(rpc.call(CommandMethods.Run, { project: root, command: 'probe', args: [], passEnv: { 'BAD-NAME': 'x' } })).rejects.toThrow(/invalid params for commands.run: passEnv.BAD-NAME/);
    } finally {
      rpc.close();
    }
    expect(readFileSync(join(root, 'probe.txt'), 'utf8')).toBe('one|unset');
  });

  it('a bad env is a load error naming the file, the primitive and the field', async () => {
    const root = makeProject(t, 'proj', {
      env: `
[command.a]
env = ["FOO", "OJ_PIPELINE"]
run = "true"

[pipeline.p]
env = { "1X" = "v", STAGE = "{nope}" }
[[pipeline.p.phase]]
name = "x"
`,
    });
    const r = await t.oj(['runbook', 'check'], { cwd: root });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr + r.stdout).toContain('.oj/runbooks/env.toml:3: command.a field env[1]: OJ_PIPELINE is set by oj itself');
    expect(r.stderr + r.stdout).toContain('.oj/runbooks/env.toml:7: pipeline.p field env.1X: "1X" is not a valid environment variable name');
    expect(r.stderr + r.stdout).toMatch(/env\.toml:7: pipeline\.p field env\.STAGE: unknown placeholder \{nope\}/);
    // And the daemon refuses to run it, with the same words.
    const run = await t.oj(['run', 'a'], { cwd: root });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain('field env[1]: OJ_PIPELINE is set by oj itself');
  });
});
