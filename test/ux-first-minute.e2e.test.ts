/**
 * What a user sees in the first minute (issue 19 item 13): help at the
 * terminal's width, `oj status` agreeing with the other listings, multi-line
 * errors that keep their indentation, no stray blank lines, a timestamped
 * `--watch`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pty from 'node-pty';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OJ_BIN, REPO, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

/** Runs oj in a real terminal of `cols` columns; resolves with what it printed. */
function inTerminal(args: string[], cols: number): Promise<string> {
  return new Promise((resolve) => {
    const env = Object.fromEntries(Object.entries(t.env).filter((e): e is [string, string] => e[1] !== undefined));
    const term = pty.spawn(process.execPath, [OJ_BIN, ...args], { cols, rows: 50, cwd: t.root, env });
    let out = '';
    term.onData((d) => (out += d));
    term.onExit(() => resolve(out.replace(/\r\n/g, '\n')));
  });
}

const words = (s: string) => s.split(/\s+/).filter(Boolean);

/** Blank lines after a table, two blank lines in a row, trailing spaces: none. */
function expectTidy(text: string, what: string): void {
  expect(text, what).not.toMatch(/\n\n\n/);
  expect(text, what).not.toMatch(/[ \t]+(\n|$)/);
  expect(text.endsWith('\n') && !text.endsWith('\n\n'), what).toBe(true);
}

describe('oj --help', () => {
  it("uses the terminal's width and never cuts a word", async () => {
    const wide = await inTerminal(['--help'], 200);
    const narrow = await inTerminal(['--help'], 60);
    // Wide: the longest description stays on its row's line.
    expect(wide).toMatch(/\n {2}oj done +For agents: report that the work is done \(--error: failed; --restart: start afresh\)\n/);
    for (const line of narrow.trimEnd().split('\n')) expect(line.length, line).toBeLessThanOrEqual(60);
    // The same words at both widths: nothing was cut in two.
    expect(words(narrow)).toEqual(words(wide));
  });
});

describe('oj status', () => {
  const RB = `
[command.esc]
args = "<name>"
run = { pipeline = "esc" }

[pipeline.esc]
inputs = ["name"]
[[pipeline.esc.phase]]
name = "fail"
run = "exit 3"
on_fail = "escalate"

[cron.nightly]
interval = "1h"
run = "true"
`;

  it('shows an escalation once, pipelines in the columns of oj pipeline list, disabled crons as oj cron list does, and no stray blank lines', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { main: RB });
    await t.oj(['run', 'esc', 'a'], { cwd: root });
    await waitFor('the escalation', async () => (await t.ojJson<unknown[]>(['escalation', 'list'], { cwd: root })).length === 1);
    const status = (await t.oj(['status'], { cwd: root })).stdout;
    // One escalation, one row: in "Needs you", with the escalation to review.
    expect(status.match(/esc-a/g), status).toHaveLength(2); // needs you + pipelines
    expect(status).toMatch(/Needs you \(1\)\n {2}PIPELINE +PHASE +WHY +SINCE +ESCALATION\n {2}esc-a +fail +exit code 3 +\S+ ago +\d+\n/);
    expect(status).not.toContain('Open escalations');
    // The same columns as oj pipeline list.
    const list = (await t.oj(['pipeline', 'list'], { cwd: root })).stdout;
    const columns = (text: string) => text.split('\n').find((l) => /^\s*ID\s/.test(l))!.trim().split(/\s{2,}/);
    expect(columns(status)).toEqual(columns(list));
    // The disabled cron, as oj cron list shows it.
    expect((await t.oj(['cron', 'list'], { cwd: root })).stdout).toMatch(/nightly +disabled +every 1h/);
    expect(status).toMatch(/Crons \(1\)\n {2}CRON +STATUS +SCHEDULE +NEXT +LAST\n {2}nightly +disabled +every 1h/);
    expectTidy(status, 'oj status');
    expectTidy(list, 'oj pipeline list');
    expectTidy((await t.oj(['pipeline', 'show', 'esc-a'], { cwd: root })).stdout, 'oj pipeline show');
  });

  it('names the project of a runbook error in the all-projects view', async () => {
    await t.startDaemon();
    const good = makeProject(t, 'good', { main: '[command.hi]\nrun = "echo hi"\n' });
    const bad = makeProject(t, 'bad', { main: '[command.hi]\nrun = "echo {nope}"\n' });
    await t.oj(['run', 'hi'], { cwd: good });
    await t.oj(['run', 'hi'], { cwd: bad });
    const all = (await t.oj(['status', '--all'], { cwd: t.root })).stdout;
    expect(all).toContain(`runbook error: project ${bad}: .oj/runbooks/main.toml does not load`);
    expect(all).toMatch(/\n {2}\.oj\/runbooks\/main\.toml:2: command\.hi field run: unknown placeholder \{nope\}/);
    expect(all).not.toContain(`project ${good}:`);
    expectTidy(all, 'oj status --all');
  });

  it('--watch starts each screen with the interval and the time', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { main: RB });
    const watching = t.ojSpawn(['status', '--watch', '--interval', '0.5'], { cwd: root });
    let out = '';
    watching.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('two screens', async () => (out.match(/every 0.5s: oj status/g) ?? []).length >= 2);
    } finally {
      watching.kill('SIGINT');
      await watching;
    }
    expect(out).toMatch(/every 0.5s: oj status {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}\(Ctrl-C to quit\)\n\nojd /);
  });
});

describe('oj pipeline show', () => {
  it('keeps its indentation for a multi-line error', async () => {
    await t.startDaemon();
    const fake = `node ${join(REPO, 'scripts', 'fake-agent.mjs')}`;
    const root = makeProject(t, 'proj', {
      main: `[command.go]\nargs = "<name>"\nrun = { pipeline = "p" }\n\n[pipeline.p]\ninputs = ["name"]\n[[pipeline.p.phase]]\nname = "work"\nagent = "worker"\n\n[agent.worker]\ncommand = "${fake}"\nprompt_file = "prompts/worker.md"\n`,
    });
    mkdirSync(join(root, 'prompts'));
    const script = [{ oj: ['done', '--error', 'first line\nsecond line'] }, { quiet: true }];
    writeFileSync(join(root, 'prompts', 'worker.md'), `Work.\n\`\`\`fake-agent\n${JSON.stringify(script)}\n\`\`\`\n`);
    expect((await t.oj(['run', 'go', 'a', '--wait'], { cwd: root })).exitCode).not.toBe(0);
    const shown = (await t.oj(['pipeline', 'show', 'p-a'], { cwd: root })).stdout;
    expect(shown).toMatch(/\n {2}error {6}phase "work" failed: agent reported an error: first line\n {13}second line\n/);
    expect(shown).toMatch(/\n {2}1 +work +failed +\S+ +agent reported an error: first line\n {4}.* {2}second line\n/);
    expectTidy(shown, 'oj pipeline show');
  }, 60_000);
});
