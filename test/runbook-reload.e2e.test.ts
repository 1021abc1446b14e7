/**
 * Issue 15: runbooks as they are on disk, file by file.
 * - read-your-writes: a runbook written and used at once is there (no waiting for a file watch);
 * - one broken runbook file does not stop the project's other commands; an edit that breaks a
 *   file keeps that file's last good version, and `oj status` says so.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RawClient, REPO, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';

const FAKE = `node ${join(REPO, 'scripts', 'fake-agent.mjs')}`;

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

const runbook = (root: string, name: string, text: string) => writeFileSync(join(root, '.oj', 'runbooks', `${name}.toml`), text);

describe('read-your-writes', () => {
  type Resp = { id: number; result?: { exitCode: number }; error?: { message: string } };
  /** A script-speed client: the request leaves within a millisecond of the write, long before any file watch fires. */
  async function runAtOnce(c: RawClient, root: string, id: number, write: () => void, command: string, args: string[]): Promise<Resp> {
    write();
    c.send(`${JSON.stringify({ jsonrpc: '2.0', id, method: 'commands.run', params: { project: root, command, args } })}\n`);
    return waitFor(`answer ${id}`, () => (c.all as Resp[]).find((m) => m.id === id));
  }

  it('a runbook written and run at once is there, every time', async () => {
    const root = makeProject(t, 'proj', { base: '[command.noop]\nrun = "true"\n' });
    await t.startDaemon();
    expect((await t.oj(['run', 'noop'], { cwd: root })).exitCode).toBe(0); // the daemon knows the project
    const c = await RawClient.connect(t.socket);
    for (let i = 0; i < 20; i++) {
      const write = () => runbook(root, `say${i}`, `[command.say${i}]\nargs = "<word>"\nrun = "printf say${i}-{word} > said.txt"\n`);
      const r = await runAtOnce(c, root, i + 1, write, `say${i}`, ['hi']);
      expect(r.error?.message).toBeUndefined();
      expect(r.result?.exitCode).toBe(0);
      expect(readFileSync(join(root, 'said.txt'), 'utf8')).toBe(`say${i}-hi`);
    }
    c.close();
    runbook(root, 'last', '[command.last]\nrun = "echo the real oj sees it"\n');
    expect((await t.oj(['run', 'last'], { cwd: root })).stdout).toContain('the real oj sees it');
  });

  it("an edit of a command's run takes effect on the very next run", async () => {
    const root = makeProject(t, 'proj', { say: '[command.say]\nrun = "printf v0 > said.txt"\n' });
    await t.startDaemon();
    expect((await t.oj(['run', 'say'], { cwd: root })).exitCode).toBe(0);
    expect(readFileSync(join(root, 'said.txt'), 'utf8')).toBe('v0');
    const c = await RawClient.connect(t.socket);
    for (let i = 1; i <= 9; i++) {
      // Same size every time, often within one timestamp tick of the previous write.
      const r = await runAtOnce(c, root, i, () => runbook(root, 'say', `[command.say]\nrun = "printf v${i} > said.txt"\n`), 'say', []);
      expect(r.result?.exitCode).toBe(0);
      expect(readFileSync(join(root, 'said.txt'), 'utf8')).toBe(`v${i}`);
    }
    c.close();
    runbook(root, 'say', '[command.say]\nrun = "echo edited"\n');
    expect((await t.oj(['run', 'say'], { cwd: root })).stdout).toContain('edited');
  });

  it('a new prompt_file written with the runbook that names it is used by the next agent start', async () => {
    const agent = (file: string) =>
      `[command.go]\nargs = "<name>"\nrun = { pipeline = "p" }\n\n[pipeline.p]\ninputs = ["name"]\n[[pipeline.p.phase]]\nname = "work"\nagent = "a"\n\n` +
      `[agent.a]\ncommand = "${FAKE}"\nprompt_file = "${file}"\n`;
    const prompt = (text: string) => `Agent.\n\`\`\`fake-agent\n[{ "oj": ["checkpoint", "${text}"] }, { "exit": 0 }]\n\`\`\`\n`;
    const root = makeProject(t, 'proj', { agents: agent('prompts/one.md') });
    mkdirSync(join(root, 'prompts'));
    writeFileSync(join(root, 'prompts', 'one.md'), prompt('one {{name}}'));
    await t.startDaemon();
    expect((await t.oj(['run', 'go', 'a', '--wait'], { cwd: root })).exitCode).toBe(0);

    writeFileSync(join(root, 'prompts', 'two.md'), prompt('two {{name}} {{workspace_dir}}'));
    runbook(root, 'agents', agent('prompts/two.md'));
    const bad = await t.oj(['run', 'go', 'b', '--wait'], { cwd: root });
    // The new template does not load (unknown variable): the last good runbook (prompt one) serves.
    expect(bad.exitCode).toBe(0);
    writeFileSync(join(root, 'prompts', 'two.md'), prompt('two {{name}}'));
    expect((await t.oj(['run', 'go', 'c', '--wait'], { cwd: root })).exitCode).toBe(0);
    const checkpoints = async (id: string) =>
      (await t.ojJson<{ checkpoints: { message: string }[] }>(['pipeline', 'show', id], { cwd: root })).checkpoints.map((c) => c.message);
    expect(await checkpoints('p-a')).toEqual(['one a']);
    expect(await checkpoints('p-b')).toEqual(['one b']);
    expect(await checkpoints('p-c')).toEqual(['two c']);
  });
});

describe('one broken runbook file', () => {
  const deploy = (word: string, placeholder = 'env') => `[command.deploy]\nargs = "<env>"\nrun = "echo ${word} {${placeholder}}"\n`;
  const broken = '[command.broken]\nrun = "echo {nope}"\n';

  it('does not stop the other files; an edit that breaks a loaded file keeps its last good version', async () => {
    const root = makeProject(t, 'proj', { deploy: deploy('deploying'), broken });
    await t.startDaemon();

    const ok = await t.oj(['run', 'deploy', 'prod'], { cwd: root });
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toContain('deploying prod');

    const left = await t.oj(['run', 'broken'], { cwd: root });
    expect(left.exitCode).not.toBe(0);
    expect(left.stderr).toContain('.oj/runbooks/broken.toml');
    expect(left.stderr).toContain('{nope}');

    let status = await t.oj(['status'], { cwd: root });
    expect(status.stdout).toContain('.oj/runbooks/broken.toml does not load and is left out');

    // Break deploy.toml after it loaded: its last good version still runs, and status says so.
    runbook(root, 'deploy', deploy('shipping', 'envv'));
    const kept = await t.oj(['run', 'deploy', 'prod'], { cwd: root });
    expect(kept.stdout).toContain('deploying prod');
    status = await t.oj(['status'], { cwd: root });
    expect(status.stdout).toContain('.oj/runbooks/deploy.toml does not load; its last good version is running');
    expect(status.stdout).toContain('{envv}');

    // Fix it: the new version runs and its problem is gone.
    runbook(root, 'deploy', deploy('shipping'));
    const fixed = await t.oj(['run', 'deploy', 'prod'], { cwd: root });
    expect(fixed.stdout).toContain('shipping prod');
    status = await t.oj(['status'], { cwd: root });
    expect(status.stdout).not.toContain('deploy.toml');
    expect(status.stdout).toContain('broken.toml');
  });

  it('oj runbook check still reports every error and exits non-zero', async () => {
    const root = makeProject(t, 'proj', { deploy: deploy('deploying'), broken });
    const r = await t.oj(['runbook', 'check'], { cwd: root });
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('.oj/runbooks/broken.toml');
  });
});
