/** Living with oj: completion from the daemon, status at a glance, NO_COLOR. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { execa } from 'execa';
import { OJD_BIN, OJ_BIN, TestEnv, makeProject } from './helpers/ojd-harness.js';
import { Rpc } from './helpers/rpc-call.js';
import { EventMethods, PipelineMethods } from '@oj/protocol';

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

const RB = `
# Build something.
[command.build]
args = "<name>"
run = { pipeline = "build" }
[pipeline.build]
inputs = ["name"]
[[pipeline.build.phase]]
name = "wait"
run = "while [ ! -f go ]; do sleep 0.05; done"
[command.hello]
run = "echo hi"
`;

describe('output closed early', () => {
  it('oj ... | head -1 ends quietly with status 0, 20 times of 20, for events, events --json, daemon logs and pipeline show', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { p: '[pipeline.p]\n\n[[pipeline.p.phase]]\nname = "a"\nrun = "seq 1 2000"\n' });
    const rpc = await Rpc.connect(t.socket);
    try {
      for (let i = 0; i < 10; i++) {
        await rpc.call(EventMethods.Emit, { name: 'pipe:x', data: { pad: 'p'.repeat(5000) } });
      }
      await rpc.call(PipelineMethods.Create, { project: root, pipeline: 'p' });
    } finally {
      rpc.close();
    }
    expect((await t.oj(['pipeline', 'wait', 'p', '--timeout', '60s'], { cwd: root })).exitCode).toBe(0);
    const commands = ['events --limit 1000', 'events --json --limit 1000', 'daemon logs', 'pipeline logs p', 'pipeline show p'];
    for (const command of commands) {
      for (let i = 0; i < 20; i++) {
        const r = await execa('bash', ['-c', `"${process.execPath}" "${OJ_BIN}" ${command} | head -c 1 > /dev/null; echo "status=\${PIPESTATUS[0]}" >&2`], {
          cwd: root,
          env: t.env,
          reject: false,
        });
        expect(r.stderr, `${command} (run ${i + 1})`).toBe('status=0');
      }
    }
  }, 300_000);
});

describe('oj run --follow', () => {
  it('prints every phase line and every output line of a 3-phase pipeline exactly once, in order, 20 times of 20', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      f: `
[command.three]
args = "<name>"
run = { pipeline = "three" }

[pipeline.three]
inputs = ["name"]

[[pipeline.three.phase]]
name = "a"
run = "echo out-a-1; echo out-a-2"

[[pipeline.three.phase]]
name = "b"
run = "echo out-b"

[[pipeline.three.phase]]
name = "c"
run = "echo out-c"
`,
    });
    for (let i = 0; i < 20; i++) {
      const r = await t.oj(['run', 'three', `n${i}`, '--follow'], { cwd: root });
      expect(r.exitCode).toBe(0);
      const lines = r.stdout.split('\n').filter(Boolean).map((l) => l.replace(/^\S*\[\d+[smhd ]*[\dsm]*\]\S* /, ''));
      expect(lines.slice(1), `run ${i + 1}:\n${r.stdout}`).toEqual([
        `three-n${i} a running`,
        'out-a-1',
        'out-a-2',
        `three-n${i} b running`,
        'out-b',
        `three-n${i} c running`,
        'out-c',
        `three-n${i} done`,
      ]);
    }
  }, 300_000);
});

describe('a socket path too long for a Unix socket', () => {
  it('oj and ojd say so, with the limit, the path and the fix, instead of a stack trace', async () => {
    const long = join(t.root, 'x'.repeat(120), 'ojd.sock');
    const r = await t.oj(['daemon', 'status'], { env: { OJ_SOCKET: long } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/the socket path is \d+ bytes, over the 10[37] a Unix socket allows: .*set OJ_SOCKET to a shorter path/);
    expect(r.stderr).not.toMatch(/ at /);
    const d = await execa(process.execPath, [OJD_BIN], { env: { ...t.env, OJ_SOCKET: long }, reject: false, timeout: 20_000 });
    expect(d.exitCode).not.toBe(0);
    expect(d.stderr).toMatch(/the socket path is \d+ bytes/);
  });
});

describe('shell completion', () => {
  it('completes runbook commands after `oj run` and pipeline ids after `oj pipeline show`', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { main: RB });
    const cmds = await t.oj(['--get-yargs-completions', 'oj', 'run', ''], { cwd: root });
    expect(cmds.stdout.trim().split('\n')).toEqual(['build', 'hello']);
    await t.oj(['run', 'build', 'x'], { cwd: root });
    const ids = await t.oj(['--get-yargs-completions', 'oj', 'pipeline', 'show', 'b'], { cwd: root });
    expect(ids.stdout.trim()).toBe('build-x');
    const script = await t.oj(['completion', 'bash']);
    expect(script.stdout).toMatch(/complete -o bashdefault -o default -F _oj_yargs_completions oj/);
  });
});

describe('oj status', () => {
  it('shows running pipelines with phase and age, and the command descriptions come from comments', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { main: RB });
    await t.oj(['run', 'build', 'y'], { cwd: root });
    const s = await t.oj(['status'], { cwd: root });
    expect(s.stdout).toMatch(/Pipelines \(1\)/);
    expect(s.stdout).toMatch(/build-y\s+build\s+running\s+wait/);
    expect(s.stdout).not.toMatch(/\x1b\[/); // NO_COLOR and not a TTY
    const list = await t.oj(['run'], { cwd: root });
    expect(list.stdout).toMatch(/build\s+build <name>\s+Build something\./);
    const json = await t.ojJson<{ active: { id: string }[] }>(['status'], { cwd: root });
    expect(json.active.map((p) => p.id)).toEqual(['build-y']);
  });
});

describe('the concept document\'s deploy command', () => {
  it('binds `oj run deploy prod -t v1.2 --force api worker` exactly, and shows usage on --help', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      deploy: `
[command.deploy]
args = "<env> [--tag <version>] [--force] [targets...]"
aliases = { f = "force", t = "tag" }
defaults = { tag = "latest" }
run = "echo env={env} tag={tag} force={force}; for x in {targets}; do echo target=$x; done"
`,
    });
    const r = await t.oj(['run', 'deploy', 'prod', '-t', 'v1.2', '--force', 'api', 'worker'], { cwd: root });
    expect(r.stdout).toBe('env=prod tag=v1.2 force=true\ntarget=api\ntarget=worker\n');
    const d = await t.oj(['run', 'deploy', 'staging'], { cwd: root });
    expect(d.stdout).toBe('env=staging tag=latest force=false\n');
    const help = await t.oj(['run', 'deploy', '--help'], { cwd: root });
    expect(help.stdout).toMatch(/Usage: oj run deploy <env> \[--tag <version>\] \[--force\] \[targets\.\.\.\]/);
  });
});
