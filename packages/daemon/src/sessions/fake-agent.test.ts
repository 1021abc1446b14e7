/** The scripted fake agent (scripts/fake-agent.mjs), run as the tests run it: in a session's pty. */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claudeProjectDir, readClaudeStatus } from './claude-log-locator.js';
import { SessionTestKit, fakeAgentSpec, waitFor } from './session-test-kit.js';

let kit: SessionTestKit;

beforeEach(() => {
  kit = new SessionTestKit();
});

afterEach(async () => {
  await kit.cleanup();
});

describe('fake agent', () => {
  it('runs its default script: prompt line, working lines, exit 0', async () => {
    const handle = kit.track(await kit.supervisor().start(fakeAgentSpec('s1', undefined)));
    expect(await handle.exited()).toMatchObject({ kind: 'exited', exitCode: 0 });
    expect(await handle.capture()).toBe('prompt: (none)\nworking... 1/3\nworking... 2/3\nworking... 3/3');
  });

  it('takes its script from a fenced block of the prompt file given in OJ_PROMPT_FILE', async () => {
    const promptFile = join(kit.root, 'prompt.md');
    writeFileSync(promptFile, 'Do the thing\n\n```fake-agent\n[{ "print": "from the prompt" }, { "exit": 4 }]\n```\n');
    const handle = kit.track(await kit.supervisor().start(fakeAgentSpec('s1', undefined, { env: { OJ_PROMPT_FILE: promptFile } })));
    expect(await handle.exited()).toMatchObject({ kind: 'exited', exitCode: 4 });
    expect(await handle.capture()).toBe('prompt: Do the thing\nfrom the prompt');
  });

  it('writes Claude-style log entries that the classifier reads', async () => {
    const home = join(kit.root, 'home');
    const cwd = kit.root;
    const projectDir = claudeProjectDir(cwd, { HOME: home });
    mkdirSync(projectDir, { recursive: true });
    const log = join(projectDir, 'session-1.jsonl');
    const steps = [
      { claudeLog: { type: 'user', message: { role: 'user', content: 'fix it' } } },
      { claudeLog: { type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text: 'Fixed.' }], stop_reason: 'end_turn' } } },
      { print: 'logged' },
      { quiet: true },
    ];
    const handle = kit.track(await kit.supervisor().start(fakeAgentSpec('s1', steps, { cwd, env: { FAKE_AGENT_CLAUDE_LOG: log } })));
    await waitFor('the log entries', async () => (await handle.capture()).includes('logged'));

    const reading = await readClaudeStatus(cwd, { env: { HOME: home } });
    expect(reading?.path).toBe(log);
    expect(reading?.status).toMatchObject({ state: 'waiting_for_input', entries: 2 });
    const first = JSON.parse(readFileSync(log, 'utf8').split('\n')[0] ?? '{}') as Record<string, unknown>;
    expect(first).toMatchObject({ type: 'user', cwd, timestamp: expect.any(String) as string });
  });

  it('runs the oj CLI from OJ_BIN with its environment', async () => {
    const record = join(kit.root, 'oj-calls.txt');
    const ojBin = join(kit.root, 'oj');
    writeFileSync(ojBin, `#!/bin/sh\necho "$OJ_SESSION $*" >> ${record}\n[ "$1" = done ] && [ "$2" = --error ] && exit 1\nexit 0\n`);
    chmodSync(ojBin, 0o755);
    const steps = [{ oj: ['done'] }, { oj: ['done', '--error', 'tests fail'] }, { print: 'after oj' }, { exit: 0 }];
    const handle = kit.track(
      await kit.supervisor().start(fakeAgentSpec('s1', steps, { env: { OJ_BIN: ojBin, OJ_SESSION: 'sess-9' } })),
    );
    expect(await handle.exited()).toMatchObject({ kind: 'exited', exitCode: 0 });
    expect(readFileSync(record, 'utf8')).toBe('sess-9 done\nsess-9 done --error tests fail\n');
    expect(await handle.capture()).toContain('oj exited 1\nafter oj');
  });

  it('exits 130 on Ctrl-C', async () => {
    const handle = kit.track(await kit.supervisor().start(fakeAgentSpec('s1', [{ quiet: true }, { quiet: true }])));
    await waitFor('the prompt line', async () => (await handle.capture()).includes('prompt:'));
    await handle.write('\x03');
    expect(await handle.exited()).toMatchObject({ kind: 'exited', exitCode: 130 });
  });
});
