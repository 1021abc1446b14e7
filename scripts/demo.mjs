#!/usr/bin/env node
// npm run demo: a private ojd (socket and state under .oj-demo/), a scratch
// copy of examples/demo, and a short tour: a command, a pipeline whose agent
// stalls and is nudged, the event log, and `oj status`. Stops the daemon at the end.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const base = join(repo, '.oj-demo');
const project = join(base, 'project');
const state = join(base, 'state');
rmSync(base, { recursive: true, force: true });
mkdirSync(base, { recursive: true });
cpSync(join(repo, 'examples', 'demo'), project, { recursive: true });
// the agent command is relative to the project: point it at this checkout's fake agent
const fake = join(repo, 'scripts', 'fake-agent.mjs');
const toml = join(project, '.oj', 'runbooks', 'demo.toml');
cpSync(toml, toml + '.orig');
const text = readFileSync(toml, 'utf8').replaceAll('node ../../scripts/fake-agent.mjs', `node ${fake}`);
import('node:fs').then(({ writeFileSync, rmSync: rm }) => {
  writeFileSync(toml, text);
  rm(toml + '.orig');
  main();
});

// A deep checkout would make the socket path longer than a Unix socket allows (107 bytes):
// then the socket goes to a short private directory instead.
const socketInState = join(state, 'ojd.sock');
const socket = Buffer.byteLength(socketInState) <= 100 ? socketInState : join(mkdtempSync(join(tmpdir(), 'oj-demo-')), 'ojd.sock');
const env = { ...process.env, OJ_STATE_DIR: state, OJ_SOCKET: socket };
const oj = join(repo, 'packages', 'cli', 'bin', 'oj.js');

function run(args, { quiet = false } = {}) {
  process.stdout.write(`\n\x1b[1m$ oj ${args.join(' ')}\x1b[0m\n`);
  const r = spawnSync(process.execPath, [oj, ...args], { cwd: project, env, stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8' });
  return r;
}

/** Polls the queue (with a deadline) until the worker has finished every item. */
function waitForQueue() {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = spawnSync(process.execPath, [oj, 'queue', 'list', 'tasks', '--json'], { cwd: project, env, encoding: 'utf8' });
    const items = JSON.parse(r.stdout || '[]');
    if (items.length && items.every((i) => i.status === 'completed')) return;
    if (Date.now() > deadline) throw new Error('the worker did not finish the queue within a minute');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
  }
}

function main() {
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: project });
  console.log(`demo project: ${project}\nstate dir:    ${state}`);
  try {
    run(['daemon', 'start']);
    run(['runbook', 'check']);
    run(['run']);
    run(['run', 'hello', 'world']);
    const r = run(['run', 'build', 'auth', 'Add login with sessions', '--follow']);
    if (r.status !== 0) throw new Error('the build pipeline did not finish');
    run(['pipeline', 'show', 'build-auth']);
    run(['worker', 'start', 'tasks']);
    run(['run', 'queue-work', 'alpha', 'beta', 'gamma', 'delta']);
    waitForQueue();
    run(['queue', 'list', 'tasks']);
    process.stdout.write('\n\x1b[1m$ cat merged.txt\x1b[0m   (the main lock serialised the merges)\n' + readFileSync(join(project, 'merged.txt'), 'utf8'));
    run(['lock', 'list']);
    run(['events', '--name', 'action:*']);
    process.stdout.write('\n\x1b[1m$ cat .oj/events.log\x1b[0m\n' + readFileSync(join(project, '.oj', 'events.log'), 'utf8'));
    run(['status']);
  } finally {
    run(['daemon', 'stop']);
  }
}
