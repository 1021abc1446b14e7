/**
 * The CLI as a newcomer meets it (issue 19 items 4, 6, 9, 10): one exit-code
 * table for every command (docs/cli.md), Ctrl-C exiting 130, shell completion
 * for bash, zsh and fish, `oj run CMD --help`, did-you-mean for options,
 * checked flags, and --json streams from `oj run`.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OJ_BIN, REPO, TestEnv, makeProject, waitFor, type OjResult } from './helpers/ojd-harness.js';

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

const RB = `
# Build something.
# In two phases.
[command.build]
args = "<name> [--force] [--tag <version>]"
run = { pipeline = "build" }

[pipeline.build]
inputs = ["name"]

[[pipeline.build.phase]]
name = "compile"
run = "echo compiled {name}"

[[pipeline.build.phase]]
name = "test"
run = "echo tested {name}"

[command.gated]
args = "<name>"
run = { pipeline = "gated" }

[pipeline.gated]
inputs = ["name"]

[[pipeline.gated.phase]]
name = "hold"
run = "while [ ! -f release-{name} ]; do sleep 0.05; done"

[command.broken]
run = { pipeline = "broken" }

[pipeline.broken]

[[pipeline.broken.phase]]
name = "fail"
run = "echo about to fail; exit 7"

# Say hello.
[command.hello]
run = "echo hello; echo oops >&2"

[lock.deploy]
`;

/** The last lines of an error, without yargs' help text above it. */
const tail = (r: OjResult) => r.stderr.trim().split('\n').slice(-3).join('\n');

const connected = async () => (await t.ojJson<{ counts: { connections: number } }>(['daemon', 'status'])).counts.connections;

/**
 * Starts oj and resolves once it is connected to the daemon (so it is past
 * its start and waits): first no other client is (the check's own connection
 * counts one), then it is.
 */
async function spawnConnected(args: string[], cwd: string): Promise<{ child: ResultPromise }> {
  await waitFor('earlier clients to be gone', async () => (await connected()) === 1);
  const child = t.ojSpawn(args, { cwd });
  await waitFor(`oj ${args.join(' ')} to connect`, async () => (await connected()) >= 2);
  // Wrapped: an async function returning the child itself (a promise) would wait for it to end.
  return { child };
}

/** Sends Ctrl-C's signal to a running oj; resolves with how it ended. */
async function interrupt(child: ResultPromise): Promise<{ exitCode: number | undefined; signal: string | undefined; stdout: string; stderr: string }> {
  child.kill('SIGINT');
  const r = await child;
  return { exitCode: r.exitCode, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('exit codes: one table, every command', () => {
  it('0 ok, 1 failed, 3 not found, 4 cancelled, 124 timed out, on real commands', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { main: RB });
    // 0: done.
    expect((await t.oj(['run', 'build', 'a', '--wait'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['pipeline', 'wait', 'build-a'], { cwd: root })).exitCode).toBe(0);
    // 1: the thing failed.
    const failed = await t.oj(['run', 'broken', '--wait'], { cwd: root });
    expect(failed.exitCode).toBe(1);
    expect((await t.oj(['pipeline', 'wait', 'broken'], { cwd: root })).exitCode).toBe(1);
    const resume = await t.oj(['run', 'gated', 'r'], { cwd: root });
    expect(resume.exitCode).toBe(0);
    const refused = await t.oj(['pipeline', 'resume', 'gated-r'], { cwd: root });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/^error: pipeline gated-r: cannot resume a pipeline that is running/);
    // 3: not found, whichever command asks.
    for (const args of [
      ['pipeline', 'show', 'nope'],
      ['pipeline', 'wait', 'nope'],
      ['pipeline', 'cancel', 'nope'],
      ['run', 'nosuch'],
      ['run', 'nosuch', '--help'],
      ['session', 'show', 'nope'],
      ['escalation', 'show', '999'],
      ['lock', 'show', 'nope'],
      ['runbook', 'show', 'nosuch'],
    ]) {
      const r = await t.oj(args, { cwd: root });
      expect(r.exitCode, `oj ${args.join(' ')}: ${r.stderr}`).toBe(3);
      expect(r.stderr, `oj ${args.join(' ')}`).toMatch(/^error: /);
    }
    // 4: cancelled, for --wait and for pipeline wait.
    const waiting = t.ojSpawn(['run', 'gated', 'c', '--wait'], { cwd: root });
    await waitFor('gated-c to run', async () => (await t.oj(['pipeline', 'show', 'gated-c', '--phase'], { cwd: root })).stdout.trim() === 'hold');
    expect((await t.oj(['pipeline', 'cancel', 'gated-c'], { cwd: root })).exitCode).toBe(0);
    expect((await waiting).exitCode).toBe(4);
    expect((await t.oj(['pipeline', 'wait', 'gated-c'], { cwd: root })).exitCode).toBe(4);
    // 124: a --timeout passed.
    const timedOut = await t.oj(['pipeline', 'wait', 'gated-r', '--timeout', '100ms'], { cwd: root });
    expect(timedOut.exitCode).toBe(124);
    expect(timedOut.stdout).toBe('gated-r running\n');
    expect((await t.oj(['lock', 'acquire', 'deploy', '--holder', 'a'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['lock', 'acquire', 'deploy', '--holder', 'b'], { cwd: root })).exitCode).toBe(1);
    expect((await t.oj(['lock', 'acquire', 'deploy', '--holder', 'b', '--wait', '--timeout', '100ms'], { cwd: root })).exitCode).toBe(124);
  });

  it('2 is a usage error: unknown options, bad values, ambiguous and malformed ids', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { main: RB });
    expect((await t.oj(['run', 'build', 'one'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['run', 'build', 'two'], { cwd: root })).exitCode).toBe(0);
    const ambiguous = await t.oj(['pipeline', 'show', 'build-'], { cwd: root });
    expect(ambiguous.exitCode).toBe(2);
    expect(ambiguous.stderr).toMatch(/^error: .*build-/);
    expect((await t.oj(['pipeline', 'wait', 'build-'], { cwd: root })).exitCode).toBe(2);
    const malformed = await t.oj(['escalation', 'show', 'abc'], { cwd: root });
    expect(malformed.exitCode).toBe(2);
    expect(tail(malformed)).toMatch(/<id> takes a number$/);
    expect((await t.oj(['pipeline', 'frobnicate'], { cwd: root })).exitCode).toBe(2);
    expect((await t.oj(['pipeline', 'list', '--bogus'], { cwd: root })).exitCode).toBe(2);
    expect((await t.oj(['run', 'build'], { cwd: root })).exitCode).toBe(2);
    expect((await t.oj(['pipeline', 'wait', 'build-one', '--timeout', 'soon'], { cwd: root })).exitCode).toBe(2);
    const nowhere = await t.oj(['run', 'build', 'x']);
    expect(nowhere.exitCode).toBe(2);
    expect(nowhere.stderr).toMatch(/no \.oj\/ directory here or above/);
  });

  it('oj daemon restore while ojd runs is a failure (1), not a usage error', async () => {
    await t.startDaemon();
    const backup = join(t.root, 'backup.db');
    expect((await t.oj(['daemon', 'backup', backup])).exitCode).toBe(0);
    const refused = await t.oj(['daemon', 'restore', backup]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toBe('error: ojd is running: stop it first (oj daemon stop), then restore, then start it again\n');
  });

  it('130 on Ctrl-C of oj run --wait, oj run --follow and oj pipeline wait; the pipeline goes on', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { main: RB });
    for (const [name, args] of [
      ['w', ['run', 'gated', 'w', '--wait']],
      ['f', ['run', 'gated', 'f', '--follow']],
    ] as const) {
      const child = t.ojSpawn([...args], { cwd: root });
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      // It prints the id, then the phase line once it follows.
      await waitFor(`oj run gated ${name} to follow`, () => /hold running/.test(out));
      const r = await interrupt(child);
      expect(r.exitCode, r.stderr).toBe(130);
      expect(r.stderr).toContain(`oj: stopped waiting; gated-${name} goes on (oj pipeline show gated-${name})`);
      expect((await t.oj(['pipeline', 'show', `gated-${name}`, '--phase'], { cwd: root })).stdout).toBe('hold\n');
    }
    // A stream that only ends on Ctrl-C.
    expect((await interrupt((await spawnConnected(['events', '--follow'], root)).child)).exitCode).toBe(130);
    // Last: ojd answers a wait whose client went away only when the wait ends, so its connection stays counted.
    const r = await interrupt((await spawnConnected(['pipeline', 'wait', 'gated-w'], root)).child);
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stderr).toContain('oj: stopped waiting; the pipeline goes on');
    writeFileSync(join(root, 'release-w'), '');
    expect((await t.oj(['pipeline', 'wait', 'gated-w', '--timeout', '20s'], { cwd: root })).exitCode).toBe(0);
  });

  it('docs/cli.md has the table, generated from the code', () => {
    const doc = readFileSync(join(REPO, 'docs', 'cli.md'), 'utf8');
    for (const code of [0, 1, 2, 3, 4, 124, 130]) expect(doc).toMatch(new RegExp(`^\\| ${code} \\| `, 'm'));
  });
});

describe('oj completion <shell>', () => {
  /** A directory with `oj` on it, as an installed oj would be. */
  function ojOnPath(): NodeJS.ProcessEnv {
    const bin = join(t.root, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'oj'), `#!/bin/sh\nexec "${process.execPath}" "${OJ_BIN}" "$@"\n`);
    chmodSync(join(bin, 'oj'), 0o755);
    return { ...t.env, PATH: `${bin}:${process.env.PATH}` };
  }

  function shell(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
    return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 30_000 });
  }

  it('prints the named shell\'s script; an unknown shell is a usage error', async () => {
    const bash = await t.oj(['completion', 'bash']);
    expect(bash.stdout).toMatch(/complete -o bashdefault -o default -F _oj_yargs_completions oj/);
    const zsh = await t.oj(['completion', 'zsh'], { env: { SHELL: '/bin/bash' } });
    expect(zsh.stdout).toMatch(/^#compdef oj\n/);
    const fish = await t.oj(['completion', 'fish'], { env: { SHELL: '/bin/zsh' } });
    expect(fish.stdout).toMatch(/^complete -c oj -f -a '\(__oj_complete\)'$/m);
    expect((await t.oj(['completion'], { env: { SHELL: '/usr/bin/fish' } })).stdout).toBe(fish.stdout);
    const ps = await t.oj(['completion', 'powershell']);
    expect(ps.exitCode).toBe(2);
    expect(ps.stdout).toBe('');
    expect(ps.stderr).toMatch(/Given: "powershell", Choices: "bash", "zsh", "fish"/);
    const sh = await t.oj(['completion'], { env: { SHELL: '/bin/sh' } });
    expect(sh.exitCode).toBe(2);
    expect(sh.stderr).toBe('error: say which shell: oj completion bash|zsh|fish ($SHELL is "/bin/sh")\n');
  });

  it('bash, zsh and fish each complete commands, options, values, runbook commands and pipeline ids through oj', async () => {
    for (const sh of ['bash', 'zsh', 'fish']) {
      const found = execa('sh', ['-c', `command -v ${sh}`], { reject: false });
      expect((await found).exitCode, `${sh} is needed for this test (apt-get install zsh fish; .ci/run does)`).toBe(0);
    }
    await t.startDaemon();
    const root = makeProject(t, 'proj', { main: RB });
    expect((await t.oj(['run', 'build', 'x', '--wait'], { cwd: root })).exitCode).toBe(0);
    const env = ojOnPath();

    // bash: the function the script registers, called as bash's completion calls it.
    const bashLines = ['oj pipeline sh', 'oj pipeline show build-', 'oj run ', 'oj completion f', 'oj pipeline list --status fa', 'oj escalation list --status re'];
    const bash = shell(
      'bash',
      [
        '-c',
        `source <(oj completion bash)
         for line in ${bashLines.map((l) => `'${l}'`).join(' ')}; do
           read -ra COMP_WORDS <<< "$line"; [[ "$line" == *' ' ]] && COMP_WORDS+=('')
           COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _oj_yargs_completions; echo "\${COMPREPLY[*]}"
         done`,
      ],
      root,
      env,
    );
    expect(bash.split('\n').slice(0, -1)).toEqual(['show', 'build-x', 'build gated broken hello', 'fish', 'failed', 'resolved']);

    // zsh: the script's function with compsys' _describe and compdef standing in (they need a terminal).
    const zsh = shell(
      'zsh',
      [
        '-f',
        '-c',
        `compdef() { print "compdef $*"; }; _describe() { print -rl -- "\${(@P)2}"; }; _files() { print FILES; }
         source <(oj completion zsh)
         words=(oj pipeline sh); CURRENT=3; _oj
         words=(oj pipeline show build-); CURRENT=4; _oj
         words=(oj run ''); CURRENT=3; _oj`,
      ],
      root,
      env,
    );
    const zshLines = zsh.split('\n');
    expect(zshLines[0]).toBe('compdef _oj oj');
    expect(zshLines).toContain('show:A pipeline: state, phase, what it waits for, runs, errors, history');
    expect(zshLines).toContain('build-x');
    expect(zshLines.slice(-5, -1)).toEqual(['build', 'gated', 'broken', 'hello']);

    // fish: its own completion engine, asked as a prompt would.
    const fish = shell(
      'fish',
      ['--no-config', '-c', `oj completion fish | source; complete -C 'oj pipeline sh'; complete -C 'oj pipeline show build-'; complete -C 'oj completion '`],
      root,
      env,
    );
    expect(fish.split('\n').slice(0, -1)).toEqual([
      'show\tA pipeline: state, phase, what it waits for, runs, errors, history',
      'build-x',
      'bash',
      'fish',
      'zsh',
      '--help\tShow help',
      '--version\tShow version number',
    ]);
  });
});

describe('oj run CMD --help, did-you-mean, runbook descriptions', () => {
  it('--help prints usage, the description from the comment, arguments and options', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { main: RB });
    const help = await t.oj(['run', 'build', '--help'], { cwd: root });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toBe(
      [
        'Usage: oj run build <name> [--force] [--tag <version>]',
        '',
        'Build something. In two phases.',
        '',
        'Arguments:',
        '  <name>  required',
        '',
        'Options:',
        '      --force          flag',
        '      --tag <version>  optional',
        '',
        'Arguments can also be given as name=value; "--" ends options.',
        '',
      ].join('\n'),
    );
  });

  it('an unknown option gets a did-you-mean, in oj run and in oj\'s own commands', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { main: RB });
    const run = await t.oj(['run', 'build', 'x', '--fore'], { cwd: root });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/^error: oj run build: unknown option --fore\nhint: did you mean "--force"\?\n\nUsage: oj run build/);
    const own = await t.oj(['pipeline', 'list', '--statu', 'failed'], { cwd: root });
    expect(own.exitCode).toBe(2);
    expect(tail(own)).toMatch(/Unknown argument: statu\nDid you mean --status\?$/);
    const daemon = await t.oj(['daemon', 'stop', '--kil']);
    expect(daemon.exitCode).toBe(2);
    expect(tail(daemon)).toMatch(/Did you mean --kill\?$/);
  });

  it('oj runbook list shows descriptions; oj runbook show has the one from the comment', async () => {
    const root = makeProject(t, 'proj', { main: RB });
    const list = await t.oj(['runbook', 'list'], { cwd: root });
    expect(list.stdout).toMatch(/^main\s+command\s+build\s+Build something\. In two phases\.$/m);
    expect(list.stdout).toMatch(/^main\s+command\s+hello\s+Say hello\.$/m);
    expect(list.stdout).toMatch(/^main\s+command\s+gated\s+oj run gated <name>$/m);
    const show = await t.oj(['runbook', 'show', 'command.hello', '--json'], { cwd: root });
    expect(JSON.parse(show.stdout)).toMatchObject({ description: 'Say hello.', usage: 'Usage: oj run hello\n\nSay hello.' });
    const plain = await t.oj(['runbook', 'show', 'command.build'], { cwd: root });
    expect(plain.stdout).toContain('"description": "Build something. In two phases."');
  });
});

describe('loose flags are checked', () => {
  it('oj pipeline list --status with a wrong value is a usage error listing the values', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { main: RB });
    const r = await t.oj(['pipeline', 'list', '--status', 'done,faild'], { cwd: root });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: --status faild: not a pipeline status; did you mean "failed"? (statuses: pending, running, waiting, escalated, done, failed, cancelled)\n',
    );
    expect((await t.oj(['pipeline', 'list', '--status', 'done,failed'], { cwd: root })).exitCode).toBe(0);
  });

  it('oj events --since abc says what is wrong, without a word about null', async () => {
    await t.startDaemon();
    for (const args of [['events', '--since', 'abc'], ['events', '--since=abc', '--follow']]) {
      const r = await t.oj(args);
      expect(r.exitCode).toBe(2);
      expect(tail(r)).toMatch(/--since takes a number, got "abc"$/);
      expect(r.stderr).not.toMatch(/null/);
    }
    const logs = await t.oj(['daemon', 'logs', '-n', 'many']);
    expect(logs.exitCode).toBe(2);
    expect(tail(logs)).toMatch(/-n takes a number, got "many"$/);
  });

  it('oj escalation list --all lists every project\'s, as the other lists\' --all does', async () => {
    await t.startDaemon();
    const ESC = '[command.ship]\nrun = { pipeline = "ship" }\n[pipeline.ship]\n[[pipeline.ship.phase]]\nname = "check"\nrun = "false"\non_fail = ["escalate"]\n';
    const a = makeProject(t, 'a', { main: ESC });
    const b = makeProject(t, 'b', { main: ESC });
    for (const root of [a, b]) expect((await t.oj(['run', 'ship'], { cwd: root })).exitCode).toBe(0);
    type Esc = { pipeline: string };
    await waitFor('two escalations', async () => (await t.ojJson<Esc[]>(['escalation', 'list', '--all'], { cwd: a })).length === 2);
    expect(await t.ojJson<Esc[]>(['escalation', 'list'], { cwd: a })).toHaveLength(1);
    expect(await t.ojJson<Esc[]>(['escalation', 'list', '--all-projects'], { cwd: a })).toHaveLength(2);
  });
});

describe('--json from oj run', () => {
  type Line = { kind: string; stream?: string; data?: string; exitCode?: number; pipeline?: { id: string; status: string; phase: string | null } };
  const lines = (r: OjResult): Line[] =>
    r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);

  it('a shell command streams its output as JSON lines, then its exit', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { main: RB });
    const r = await t.oj(['run', 'hello', '--json'], { cwd: root });
    expect(r.exitCode).toBe(0);
    const got = lines(r);
    expect(got.filter((l) => l.kind === 'output' && l.stream === 'stdout').map((l) => l.data).join('')).toBe('hello\n');
    expect(got.filter((l) => l.kind === 'output' && l.stream === 'stderr').map((l) => l.data).join('')).toBe('oops\n');
    expect(got[got.length - 1]).toEqual({ kind: 'exit', exitCode: 0, signal: null });
    expect(r.stderr).toBe('');
  });

  it('--follow and --wait stream status (and output) lines, each a pipeline update; the exit code is the end\'s', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { main: RB });
    const follow = await t.oj(['run', 'build', 'j', '--follow', '--json'], { cwd: root });
    expect(follow.exitCode).toBe(0);
    const f = lines(follow);
    const shown = f.map((l) => (l.kind === 'output' ? `output ${l.data}` : `${l.kind} ${l.pipeline!.id} ${l.pipeline!.phase} ${l.pipeline!.status}`));
    expect(shown).toEqual([
      'status build-j compile running',
      'output compiled j\n',
      'status build-j test running',
      'output tested j\n',
      'status build-j test done',
    ]);
    const wait = await t.oj(['run', 'broken', '--wait', '--json'], { cwd: root });
    expect(wait.exitCode).toBe(1);
    const w = lines(wait);
    expect(w.every((l) => l.kind === 'status' && l.pipeline!.id === 'broken')).toBe(true);
    expect(w[w.length - 1]!.pipeline!.status).toBe('failed');
    const plain = await t.oj(['run', 'build', 'p', '--json'], { cwd: root });
    expect(JSON.parse(plain.stdout)).toMatchObject({ id: 'build-p' });
  });
});
