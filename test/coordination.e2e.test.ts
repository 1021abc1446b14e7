/** Issue: coordination (locks, semaphores, guards, strategies), end to end with a real ojd and the real oj. */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OJ_BIN, REPO, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { EventMethods, LockMethods, PipelineMethods, SemaphoreMethods, type AnyMethod, type CallArgs, type ResultOf } from '@oj/protocol';
import { Rpc } from './helpers/rpc-call.js';

type Holder = { holder: string; kind: string; weight: number; stale: boolean; staleReason: string | null };
type Lock = { id: string; name: string; held: boolean; holder: Holder | null; stale: boolean; waiters: { holder: string; position: number }[] };

let t: TestEnv;
let rpcs: Rpc[] = [];
beforeEach(() => {
  t = new TestEnv();
  rpcs = [];
});
afterEach(async () => {
  for (const r of rpcs) r.close();
  await t.cleanup();
});

/**
 * Polling goes through JSON-RPC (a CLI start costs a node start, which on a
 * busy machine is slow); what a user types is run with the real oj. A fresh
 * connection per call site is cheap; a daemon restart drops old ones.
 */
async function rpc<M extends AnyMethod>(method: M, ...args: CallArgs<M>): Promise<ResultOf<M>> {
  const r = await Rpc.connect(t.socket);
  rpcs.push(r);
  try {
    return await r.call(method, ...args);
  } finally {
    r.close();
  }
}

const show = (root: string, id: string) => rpc(PipelineMethods.Show, { id, project: root });
const status = async (root: string, id: string) => (await show(root, id)).pipeline;
const lockOf = async (root: string, name: string) => (await rpc(LockMethods.Show, { project: root, name })).lock;
const semOf = async (root: string, name: string) => (await rpc(SemaphoreMethods.Status, { project: root, name })).semaphore;
const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const events = async (root: string, name: string) => (await rpc(EventMethods.List, { name, limit: 1000, since: 0 })).events;

const MERGE = `
[command.merge]
args = "<name>"
run = { pipeline = "merge" }

[pipeline.merge]
inputs = ["name"]

[[pipeline.merge.phase]]
name = "merge"
lock = "main_branch"
run = "echo start {name} >> trace; while [ ! -f go-{name} ]; do sleep 0.02; done; echo end {name} >> trace"

[lock.main_branch]
heartbeat = "2s"
`;

describe('locks', () => {
  it('three pipelines on one lock run their merge phases strictly one after another, in arrival order', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { merge: MERGE });
    await t.oj(['run', 'merge', 'a'], { cwd: root });
    await waitFor('a to hold the lock', () => read(join(root, 'trace')).includes('start a'));
    for (const n of ['b', 'c']) {
      await t.oj(['run', 'merge', n], { cwd: root });
      await waitFor(`${n} waiting`, async () => (await status(root, `merge-${n}`)).status === 'waiting');
    }
    const b = await status(root, 'merge-b');
    expect(b.waitingFor).toMatchObject({ kind: 'lock', name: 'main_branch' });
    expect((await t.oj(['pipeline', 'list'], { cwd: root })).stdout).toMatch(/merge-b\s+merge\s+waiting for lock main_branch/);
    const lock = await lockOf(root, 'main_branch');
    expect(lock.holder?.holder).toBe('merge-a');
    expect(lock.waiters.map((w) => w.holder)).toEqual(['merge-b', 'merge-c']);
    // Let all three go at once: only the lock keeps them apart.
    for (const n of ['c', 'b', 'a']) writeFileSync(join(root, `go-${n}`), '');
    expect((await t.oj(['pipeline', 'wait', 'merge-a', 'merge-b', 'merge-c', '--all', '--timeout', '20s'], { cwd: root })).exitCode).toBe(0);
    expect(read(join(root, 'trace'))).toBe('start a\nend a\nstart b\nend b\nstart c\nend c\n');
    const after = await lockOf(root, 'main_branch');
    expect(after.held).toBe(false);
    expect(after.waiters).toEqual([]);
  });

  it('who holds the lock and who waits in which order survive kill -9 of the daemon', async () => {
    const d = await t.startDaemon();
    const root = makeProject(t, 'proj', { merge: MERGE });
    await t.oj(['run', 'merge', 'a'], { cwd: root });
    await waitFor('a to hold the lock', () => read(join(root, 'trace')).includes('start a'));
    for (const n of ['b', 'c']) {
      await t.oj(['run', 'merge', n], { cwd: root });
      await waitFor(`${n} waiting`, async () => (await status(root, `merge-${n}`)).status === 'waiting');
    }
    d.kill('SIGKILL');
    await waitFor('ojd to die', () => d.exitCode !== null || d.signalCode !== null);
    await t.startDaemon();
    // a's phase re-runs (at-least-once) and takes its own lock again; b and c keep their places.
    await waitFor('a re-run', () => read(join(root, 'trace')) === 'start a\nstart a\n');
    const lock = await lockOf(root, 'main_branch');
    expect(lock.holder?.holder).toBe('merge-a');
    expect(lock.waiters.map((w) => w.holder)).toEqual(['merge-b', 'merge-c']);
    for (const n of ['c', 'b', 'a']) writeFileSync(join(root, `go-${n}`), '');
    expect((await t.oj(['pipeline', 'wait', 'merge-a', 'merge-b', 'merge-c', '--all', '--timeout', '20s'], { cwd: root })).exitCode).toBe(0);
    expect(read(join(root, 'trace'))).toBe('start a\nstart a\nend a\nstart b\nend b\nstart c\nend c\n');
  });

  it('a killed external holder is reclaimed after its heartbeat window and the waiting pipeline proceeds', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { merge: MERGE });
    writeFileSync(join(root, 'go-a'), '');
    // The external holder: a program that takes the lock and heartbeats it over the socket (as a
    // script would with \`oj lock acquire\` and a loop of \`oj lock heartbeat\`), until it is killed.
    const program = `
      const s = require('net').connect(process.env.OJ_SOCKET);
      const call = (id, method) => s.write(JSON.stringify({ jsonrpc: '2.0', id, method,
        params: { project: process.cwd(), name: 'main_branch', holder: 'deployer' } }) + '\\n');
      s.on('connect', () => { call(0, 'locks.acquire'); let n = 1; setInterval(() => call(n++, 'locks.heartbeat'), 200); });
    `;
    const holder = spawn(process.execPath, ['-e', program], { cwd: root, env: t.env, detached: true, stdio: 'ignore' });
    try {
      await waitFor('deployer to hold the lock', async () => (await lockOf(root, 'main_branch')).holder?.holder === 'deployer');
      await t.oj(['run', 'merge', 'a'], { cwd: root });
      await waitFor('a waiting', async () => (await status(root, 'merge-a')).status === 'waiting');
      // Heartbeats keep the hold: still the deployer's after more than a window.
      const held = await waitFor(
        'the hold to outlive one window',
        async () => {
          const l = (await lockOf(root, 'main_branch')) as Lock & { holder: (Holder & { acquiredAt: string }) | null };
          return l.holder && Date.now() - Date.parse(l.holder.acquiredAt) > 2500 ? l : null;
        },
        15_000,
      );
      expect(held.holder?.holder).toBe('deployer');
      expect(held.stale).toBe(false);
      expect((await status(root, 'merge-a')).status).toBe('waiting');
    } finally {
      process.kill(-holder.pid!, 'SIGKILL');
    }
    const killedAt = Date.now();
    expect((await t.oj(['pipeline', 'wait', 'merge-a', '--timeout', '15s'], { cwd: root })).exitCode).toBe(0);
    const stale = (await events(root, 'lock:stale')).find((e) => e.subject === 'deployer');
    expect(stale?.data.reason).toMatch(/no heartbeat for/);
    // Not before its window: the daemon's own measure of the silence is at least the 2 s window,
    // and it came well after the kill (the last heartbeat was at most 200 ms before it).
    const silence = /no heartbeat for ([\d.]+)s \(window 2s\)/.exec(String(stale?.data.reason));
    expect(Number(silence?.[1])).toBeGreaterThanOrEqual(2);
    expect(Date.parse(stale!.time) - killedAt).toBeGreaterThan(1000);
    // The next waiter gets it in the same step as the release: the two events are adjacent.
    const released = (await events(root, 'lock:released')).find((e) => e.subject === 'deployer');
    const acquired = (await events(root, 'lock:acquired')).find((e) => e.subject === 'merge-a');
    expect(released!.id).toBeGreaterThan(stale!.id);
    expect(acquired!.id).toBe(released!.id + 1);
  });

  it('janitor flow: is-stale exits 0 for a silent holder kept by on_stale = escalate; force-release lets the waiter in', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      merge: MERGE.replace('heartbeat = "2s"', 'heartbeat = "500ms"\non_stale = ["escalate"]'),
    });
    writeFileSync(join(root, 'go-a'), '');
    expect((await t.oj(['lock', 'acquire', 'main_branch', '--holder', 'ghost'], { cwd: root })).exitCode).toBe(0);
    const busy = await t.oj(['lock', 'acquire', 'main_branch', '--holder', 'other'], { cwd: root });
    expect(busy.exitCode).toBe(1);
    expect(busy.stderr).toMatch(/held by ghost/);
    await t.oj(['run', 'merge', 'a'], { cwd: root });
    await waitFor('escalation', async () => (await events(root, 'escalate')).some((e) => e.subject === 'ghost'));
    const [lock] = await t.ojJson<Lock[]>(['lock', 'list'], { cwd: root });
    expect(lock).toMatchObject({ id: 'merge.lock.main_branch', held: true, stale: true });
    expect((await t.oj(['lock', 'is-stale', lock!.id], { cwd: root })).exitCode).toBe(0);
    expect((await status(root, 'merge-a')).status).toBe('waiting');
    const forced = await t.oj(['lock', 'force-release', lock!.id], { cwd: root });
    expect(forced.stdout).toMatch(/was held by ghost/);
    expect((await t.oj(['pipeline', 'wait', 'merge-a', '--timeout', '15s'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['lock', 'is-stale', 'main_branch'], { cwd: root })).exitCode).toBe(1);
    // External holders: heartbeat and release check the holder.
    expect((await t.oj(['lock', 'heartbeat', 'main_branch', '--holder', 'nobody'], { cwd: root })).exitCode).toBe(1);
    expect((await t.oj(['lock', 'acquire', 'main_branch', '--holder', 'me'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['lock', 'release', 'main_branch', '--holder', 'me'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['lock', 'show', 'nope'], { cwd: root })).exitCode).toBe(3);
  });

  it('on_stale = "escalate" for a pipeline holder: its work is interrupted, the lock passes on, and the pipeline waits for a human who decides', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      merge: `
[command.merge]
args = "<name>"
run = { pipeline = "merge" }

[pipeline.merge]
inputs = ["name"]

[[pipeline.merge.phase]]
name = "merge"
lock = "main_branch"
run = "echo $$ > pid-{name}; echo start {name} >> trace; while [ ! -f go-{name} ]; do sleep 0.02; done; echo end {name} >> trace"
on_fail = "recover"
next = "after"

[[pipeline.merge.phase]]
name = "recover"
run = "echo recovered {name} >> trace"

[[pipeline.merge.phase]]
name = "after"
run = "echo after {name} >> trace"

[lock.main_branch]
timeout = "3s"
on_stale = "escalate"
`,
    });
    writeFileSync(join(root, 'go-b'), '');
    await t.oj(['run', 'merge', 'a'], { cwd: root });
    await waitFor('a to hold the lock', () => read(join(root, 'trace')).includes('start a'));
    await t.oj(['run', 'merge', 'b'], { cwd: root });
    // Stage 1: a's work is interrupted (its process is gone) and the lock passes on to b.
    const pid = Number(read(join(root, 'pid-a')).trim());
    await waitFor("a's process to be gone", () => !alive(pid), 15_000);
    expect((await t.oj(['pipeline', 'wait', 'merge-b', '--timeout', '30s'], { cwd: root })).exitCode).toBe(0);
    // Stage 2: a waits for a human; it neither went on nor failed into its on_fail.
    const a = await show(root, 'merge-a');
    expect(a.pipeline.status).toBe('escalated');
    expect(a.pipeline.phase).toBe('merge');
    expect(a.pipeline.waitingFor).toMatchObject({ kind: 'human', name: 'escalation' });
    expect(a.pipeline.waitingFor?.detail).toMatch(/lock main_branch: held for .* \(timeout 3s\)/);
    expect(read(join(root, 'trace'))).not.toMatch(/recovered a|end a|after a/);
    const names = a.history.map((e) => e.name);
    expect(names.indexOf('lock:stale')).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('escalate')).toBeGreaterThan(names.indexOf('lock:stale'));
    expect(names).not.toContain('pipeline:merge-a:merge:failed');
    // The lock passed on only once a's processes were gone: a's release comes before b's acquire.
    const lockEvents = (await events(root, 'lock:*')).filter((e) => e.name === 'lock:released' || e.name === 'lock:acquired');
    expect(lockEvents.map((e) => `${e.name} ${e.subject}`).slice(0, 3)).toEqual(['lock:acquired merge-a', 'lock:released merge-a', 'lock:acquired merge-b']);
    // One open escalation for a, with the options of a phase handed to a human; oj status lists it once.
    const open = (await t.ojJson<{ id: number; pipeline: string; phase: string; status: string; options: { choice: string }[] }[]>(['escalation', 'list'], { cwd: root })).filter((e) => e.pipeline === 'merge-a');
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ phase: 'merge', status: 'open' });
    expect(open[0]!.options.map((o) => o.choice)).toEqual(['retry', 'done', 'goto', 'cancel', 'dismiss']);
    expect((await t.oj(['status'], { cwd: root })).stdout).toMatch(/Needs you \(1\)/);
    // The human decides: "done" counts the phase as done and the pipeline goes on to its next.
    expect((await t.oj(['escalation', 'resolve', String(open[0]!.id), 'done'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['pipeline', 'wait', 'merge-a', '--timeout', '30s'], { cwd: root })).exitCode).toBe(0);
    expect(read(join(root, 'trace'))).toMatch(/after a/);
    expect(read(join(root, 'trace'))).not.toMatch(/recovered a/);
  });

  it('acquire --wait waits in line behind a pipeline and gets the lock when its phase ends', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { merge: MERGE });
    await t.oj(['run', 'merge', 'a'], { cwd: root });
    await waitFor('a to hold the lock', () => read(join(root, 'trace')).includes('start a'));
    const waiting = t.ojSpawn(['lock', 'acquire', 'main_branch', '--holder', 'script', '--wait'], { cwd: root });
    await waitFor('script in line', async () => (await lockOf(root, 'main_branch')).waiters.length === 1);
    writeFileSync(join(root, 'go-a'), '');
    const r = await waiting;
    expect(r.exitCode).toBe(0);
    expect(String(r.stdout)).toMatch(/acquired main_branch as script/);
    expect((await lockOf(root, 'main_branch')).holder?.holder).toBe('script');
  });
});

/**
 * Scripts as holders: `oj` on PATH as a user has it, run by real bash
 * processes; the default holder is the calling script (pid + start time).
 */
describe('locks from scripts', () => {
  const HOLDER = /^.+@.+:(\d+)\.(\d+)$/;
  function scriptEnv(): NodeJS.ProcessEnv {
    const bin = join(t.root, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'oj'), `#!/bin/sh\nexec "${process.execPath}" "${OJ_BIN}" "$@"\n`, { mode: 0o755 });
    const env: NodeJS.ProcessEnv = { ...t.env, PATH: `${bin}:${process.env.PATH}` };
    delete env.OJ_HOLDER;
    delete env.OJ_PIPELINE;
    return env;
  }
  const bash = (cwd: string, env: NodeJS.ProcessEnv, script: string) => spawn('bash', ['-c', script], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const output = (child: ReturnType<typeof spawn>) => {
    const o = { stdout: '', stderr: '', code: null as number | null };
    child.stdout!.on('data', (d: Buffer) => (o.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (o.stderr += d.toString()));
    const exited = new Promise<number>((r) => child.on('exit', (code) => r((o.code = code ?? -1))));
    return { o, exited };
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('two shells of one user are two holders; one script acquires, re-enters, heartbeats from subshells and releases without flags', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { d: '[lock.deploy]\nheartbeat = "30s"\n' });
    const env = scriptEnv();
    // bash runs the last command of `bash -c` by exec: that release is the shell itself (same pid and start).
    const a = bash(root, env, 'oj lock acquire deploy && echo held; read go; oj lock release deploy');
    const ao = output(a);
    await waitFor('shell A to hold the lock', () => ao.o.stdout.includes('held'));
    const held = (await lockOf(root, 'deploy')).holder!;
    expect(held.holder).toMatch(HOLDER);
    expect(HOLDER.exec(held.holder)![1]).toBe(String(a.pid));

    // Shell B, same user: neither acquire nor release works without flags.
    const b = execFileSync('bash', ['-c', 'oj lock acquire deploy; echo "acquire=$?"; oj lock release deploy; echo "release=$?"'], { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(b).toContain('acquire=1');
    expect(b).toContain('release=1');
    expect((await lockOf(root, 'deploy')).holder?.holder).toBe(held.holder);

    a.stdin!.end('go\n');
    expect(await ao.exited).toBe(0);
    expect(ao.o.stdout).toContain('released deploy');
    expect((await lockOf(root, 'deploy')).held).toBe(false);

    // One script: acquire, acquire again, heartbeat from a subshell and a command substitution, release.
    const c = bash(
      root,
      env,
      'set -e; oj lock acquire deploy; oj lock acquire deploy; ( oj lock heartbeat deploy && echo sub-ok ); x=$(oj lock heartbeat deploy && echo subst-ok); echo "$x"; oj lock release deploy',
    );
    const co = output(c);
    expect(await co.exited, co.o.stderr).toBe(0);
    expect(co.o.stdout).toContain('sub-ok');
    expect(co.o.stdout).toContain('subst-ok');
    expect(co.o.stdout.match(new RegExp(`acquired deploy as \\S+:${c.pid}\\.\\d+ `, 'g'))).toHaveLength(2);
    expect((await lockOf(root, 'deploy')).held).toBe(false);
  });

  it("docs/coordination.md's deploy.sh, as written: two at once run one after the other", async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { d: '[lock.deploy]\n' });
    const env = scriptEnv();
    const doc = readFileSync(join(REPO, 'docs', 'coordination.md'), 'utf8');
    const script = /<!-- script: deploy\.sh[^>]*-->\s*```sh\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(script).toBeTruthy();
    writeFileSync(join(root, 'deploy.sh'), script!, { mode: 0o755 });
    writeFileSync(join(root, 'do-the-deploy'), '#!/bin/sh\necho "start $PPID" >> trace\nwhile [ ! -e go ]; do sleep 0.05; done\necho "end $PPID" >> trace\n', { mode: 0o755 });
    const first = spawn('bash', ['deploy.sh'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const fo = output(first);
    await waitFor('the first deploy to start', () => read(join(root, 'trace')).includes('start'));
    const second = spawn('bash', ['deploy.sh'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const so = output(second);
    await waitFor('the second deploy to wait in line', async () => (await lockOf(root, 'deploy')).waiters.length === 1);
    expect(read(join(root, 'trace'))).toBe(`start ${first.pid}\n`);
    writeFileSync(join(root, 'go'), '');
    expect(await fo.exited, fo.o.stderr).toBe(0);
    expect(await so.exited, so.o.stderr).toBe(0);
    expect(read(join(root, 'trace'))).toBe(`start ${first.pid}\nend ${first.pid}\nstart ${second.pid}\nend ${second.pid}\n`);
    expect(fo.o.stdout).toContain('released deploy');
    expect(so.o.stdout).toContain('released deploy');
    expect((await lockOf(root, 'deploy')).held).toBe(false);
  });

  it('heartbeat --every keeps heartbeating while its script runs, and stops when the script is killed -9', async () => {
    await t.startDaemon();
    // on_stale = escalate keeps the hold (marked stale) so a slow start of the loop cannot lose it.
    const root = makeProject(t, 'proj', { d: '[lock.deploy]\nheartbeat = "2s"\non_stale = ["escalate"]\n' });
    const env = scriptEnv();
    const s = bash(root, env, 'oj lock acquire deploy; oj lock heartbeat deploy --every 200ms & echo $! > hb.pid; while [ ! -e go ]; do sleep 0.05; done');
    const so = output(s);
    await waitFor('the heartbeat loop', () => read(join(root, 'hb.pid')).trim() !== '');
    const hb = Number(read(join(root, 'hb.pid')));
    const since = Date.parse((await waitFor('a hold', async () => (await lockOf(root, 'deploy')).holder))!.acquiredAt);
    // Heartbeats go on past the 2s window, and the hold is fresh.
    await waitFor(
      'heartbeats past the window',
      async () => {
        const h = (await lockOf(root, 'deploy')).holder!;
        expect(h.holder).toMatch(new RegExp(`:${s.pid}\\.\\d+$`));
        return Date.parse(h.heartbeatAt) - since > 2500 && !h.stale;
      },
      30_000,
    );
    s.kill('SIGKILL');
    await so.exited;
    await waitFor('the heartbeat loop to notice its script is gone', () => !alive(hb));
    // No heartbeats now: the hold goes stale.
    await waitFor('the hold to go stale', async () => (await lockOf(root, 'deploy')).holder?.stale === true, 20_000);
    expect((await t.oj(['lock', 'is-stale', 'deploy'], { cwd: root })).exitCode).toBe(0);
  });
});

describe('semaphores', () => {
  it('ten pipelines under max = 4 never run more than four phases at once', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      work: `
[command.work]
args = "<name>"
run = { pipeline = "work" }

[pipeline.work]
inputs = ["name"]

[[pipeline.work.phase]]
name = "work"
semaphore = "agents"
run = "mkdir -p running && touch running/{name} && ls running | wc -l >> counts; while [ ! -f go ]; do sleep 0.02; done; sleep 0.1; rm running/{name}"

[semaphore.agents]
max = 4
`,
    });
    const names = Array.from({ length: 10 }, (_, i) => `w${i}`);
    await Promise.all(names.map((n) => t.oj(['run', 'work', n], { cwd: root })));
    const full = await waitFor('4 running, 6 waiting', async () => {
      const s = await semOf(root, 'agents');
      return s.used === 4 && s.waiters.length === 6 ? s : null;
    });
    expect(full.holders).toHaveLength(4);
    const waiting = (await rpc(PipelineMethods.List, { project: root })).pipelines.filter((p) => p.status === 'waiting');
    expect(waiting).toHaveLength(6);
    expect(waiting.every((p) => p.waitingFor?.kind === 'semaphore' && p.waitingFor.name === 'agents')).toBe(true);
    writeFileSync(join(root, 'go'), '');
    let most = 0;
    await waitFor(
      'all ten done',
      async () => {
        const s = await semOf(root, 'agents');
        most = Math.max(most, s.used);
        expect(s.used).toBeLessThanOrEqual(4);
        const list = (await rpc(PipelineMethods.List, { project: root })).pipelines;
        return list.filter((p) => p.status === 'done').length === 10;
      },
      30_000,
    );
    const counts = read(join(root, 'counts')).trim().split('\n').map(Number);
    expect(counts).toHaveLength(10);
    expect(Math.max(...counts)).toBeLessThanOrEqual(4);
    expect(Math.max(...counts)).toBe(4);
    expect((await semOf(root, 'agents')).used).toBe(0);
  });

  it('external holders take weighted units and are refused when they do not fit; silent ones are reclaimed', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      s: `
[semaphore.api]
max = 3
slot_heartbeat = "1h"

[semaphore.quick]
max = 2
slot_heartbeat = "300ms"
`,
    });
    expect((await t.oj(['semaphore', 'acquire', 'api', '--holder', 'big', '--weight', '2'], { cwd: root })).exitCode).toBe(0);
    const refused = await t.oj(['semaphore', 'acquire', 'api', '--holder', 'x', '--weight', '2'], { cwd: root });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/2\/3 in use/);
    expect((await t.oj(['semaphore', 'acquire', 'api', '--holder', 'small'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['semaphore', 'list'], { cwd: root })).stdout).toMatch(/api\s+3\/3\s+big×2, small/);
    expect((await t.oj(['semaphore', 'acquire', 'api', '--holder', 'x', '--weight', '4'], { cwd: root })).exitCode).toBe(1);
    expect((await t.oj(['semaphore', 'release', 'api', '--holder', 'big'], { cwd: root })).exitCode).toBe(0);
    expect((await semOf(root, 'api')).used).toBe(1);
    // Nobody heartbeats these: both slots are orphaned and reclaimed.
    await rpc(SemaphoreMethods.Acquire, { project: root, name: 'quick', holder: 'q1' });
    await rpc(SemaphoreMethods.Acquire, { project: root, name: 'quick', holder: 'q2' });
    await waitFor('reclaimed', async () => (await semOf(root, 'quick')).used === 0);
    const orphans = await events(root, 'semaphore:orphan');
    expect(orphans.map((e) => e.subject).sort()).toEqual(['q1', 'q2']);
  });

  it('oj status lists the locks and semaphores in use, with their holders; free ones are left out', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      s: `
[lock.main_branch]
heartbeat = "1h"

[lock.idle]
heartbeat = "1h"

[semaphore.api]
max = 3
slot_heartbeat = "1h"

[semaphore.unused]
max = 2
`,
    });
    const before = (await t.oj(['status'], { cwd: root })).stdout;
    expect(before).toMatch(/Locks: none/);
    expect(before).toMatch(/Semaphores: none/);
    expect((await t.oj(['lock', 'acquire', 'main_branch', '--holder', 'alice'], { cwd: root })).exitCode).toBe(0);
    expect((await t.oj(['semaphore', 'acquire', 'api', '--holder', 'big', '--weight', '2'], { cwd: root })).exitCode).toBe(0);
    const out = (await t.oj(['status'], { cwd: root })).stdout;
    expect(out).toMatch(/Locks \(1\)\n\s+lock\s+holder\s+since\s+state\s+waiting\n\s+main_branch\s+alice\s+\d+s ago\s+held\s+0\n/i);
    expect(out).toMatch(/Semaphores \(1\)\n\s+semaphore\s+used\s+holders\s+state\s+waiting\n\s+api\s+2\/3\s+big\s+ok\s+0\n/i);
    expect(out).not.toMatch(/\bidle\b.*held|unused/);
    const json = await t.ojJson<{ sections: Record<string, { rows: Record<string, unknown>[] }> }>(['status', '--json'], { cwd: root });
    expect(json.sections.locks!.rows).toEqual([{ lock: 'main_branch', holder: 'alice', since: expect.stringMatching(/ago$/), state: 'held', waiting: 0 }]);
    expect(json.sections.semaphores!.rows).toEqual([{ semaphore: 'api', used: '2/3', holders: 'big', state: 'ok', waiting: 0 }]);
  });

  it('acquiring again with another weight is refused and changes nothing (it used to report units it did not hold)', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { s: '[semaphore.api]\nmax = 3\nslot_heartbeat = "1h"\n' });
    expect((await t.oj(['semaphore', 'acquire', 'api', '--holder', 'big'], { cwd: root })).exitCode).toBe(0);
    // The same request again is a heartbeat.
    expect((await t.oj(['semaphore', 'acquire', 'api', '--holder', 'big'], { cwd: root })).exitCode).toBe(0);
    const more = await t.oj(['semaphore', 'acquire', 'api', '--holder', 'big', '--weight', '3'], { cwd: root });
    expect(more.exitCode).toBe(1);
    expect(more.stdout).not.toMatch(/acquired/);
    expect(more.stderr).toMatch(/big already holds 1 unit\(s\) of semaphore api, not 3/);
    expect(more.stderr).toMatch(/hint: oj semaphore release api --holder big/);
    expect((await semOf(root, 'api')).holders.map((h) => [h.holder, h.weight])).toEqual([['big', 1]]);
  });
});

const BUILD = `
[command.build]
args = "<name> [-a/--after <dep>]"
run = { pipeline = "build" }

[pipeline.build]
inputs = ["name", "after"]
defaults = { after = "" }

[[pipeline.build.phase]]
name = "blocked"
pre = ["after_merged"]

[[pipeline.build.phase]]
name = "work"
run = "while [ ! -f go-{name} ]; do sleep 0.02; done"

[[pipeline.build.phase]]
name = "merged"
run = "oj emit pipeline:{pipeline}:merged"

[guard.after_merged]
condition = "test -z '{after}' || oj pipeline show {after} --phase | grep -q merged"
wake_on = ["pipeline:{after}:merged"]
`;

describe('guards', () => {
  /**
   * Runs a, then b --after a; b's guard fails at first. Its retry.max is 0 (the default), so
   * nothing polls it: only a wake_on event can check it again. Returns the event ids.
   */
  async function blockedScenario(runbook: string): Promise<{ merged: number; complete: number; bWork: number }> {
    await t.startDaemon();
    const root = makeProject(t, 'proj', { build: runbook });
    await t.oj(['run', 'build', 'a'], { cwd: root });
    await waitFor('a in work', async () => (await status(root, 'build-a')).phase === 'work');
    await t.oj(['run', 'build', 'b', '--after', 'build-a'], { cwd: root });
    writeFileSync(join(root, 'go-b'), '');
    const waiting = await waitFor('b blocked', async () => {
      const p = await status(root, 'build-b');
      return p.status === 'waiting' ? p : null;
    });
    expect(waiting.phase).toBe('blocked');
    expect(waiting.waitingFor).toMatchObject({ kind: 'guard', name: 'after_merged' });
    expect(waiting.waitingFor?.detail).toMatch(/waiting for pipeline:build-a:/);
    expect(waiting.waitingFor?.detail).not.toMatch(/re-check in/);
    writeFileSync(join(root, 'go-a'), '');
    expect((await t.oj(['pipeline', 'wait', 'build-a', 'build-b', '--all', '--timeout', '60s'], { cwd: root })).exitCode).toBe(0);
    const merged = (await events(root, 'pipeline:build-a:merged'))[0]!.id;
    const complete = (await events(root, 'pipeline:build-a:complete'))[0]!.id;
    const bWork = (await events(root, 'pipeline:phase')).find((e) => e.subject === 'build-b' && e.data.phase === 'work')!.id;
    // b never starts before a has merged.
    expect(bWork).toBeGreaterThan(merged);
    return { merged, complete, bWork };
  }

  it("the concept's build runbook: the blocked phase waits for the --after pipeline and starts once it merges", async () => {
    const { merged, bWork } = await blockedScenario(BUILD);
    // Nothing polls the guard (retry.max = 0): b could only have started because the merged event woke it.
    expect(bWork).toBeGreaterThan(merged);
  });

  it('a wake_on guard re-checks on the completion event: the blocked phase starts after it, woken by it', async () => {
    const runbook = BUILD.replace('run = "oj emit pipeline:{pipeline}:merged"', 'run = "touch merged-{pipeline}"')
      .replace(`condition = "test -z '{after}' || oj pipeline show {after} --phase | grep -q merged"`, `condition = "test -z '{after}' || test -f merged-{after}"`)
      .replace('wake_on = ["pipeline:{after}:merged"]', 'wake_on = ["pipeline:{after}:complete"]');
    const { merged, complete, bWork } = await blockedScenario(runbook);
    // The condition already held at "merged", but nothing checks it until the complete event.
    expect(complete).toBeGreaterThan(merged);
    expect(bWork).toBeGreaterThan(complete);
  });

  it('post guards that keep failing fail the phase (its on_fail applies); pre guard timeouts escalate', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'proj', {
      g: `
[command.post]
args = "<name>"
run = { pipeline = "post" }

[pipeline.post]
inputs = ["name"]

[[pipeline.post.phase]]
name = "start"
run = "true"
next = "make"

[[pipeline.post.phase]]
name = "fix"
run = "touch ok-{name}"
next = "make"

[[pipeline.post.phase]]
name = "make"
run = "echo made >> trace"
post = ["has_ok"]
on_fail = "fix"

[command.pre]
args = "<name>"
run = { pipeline = "pre" }

[pipeline.pre]
inputs = ["name"]

[[pipeline.pre.phase]]
name = "gate"
pre = ["never"]

[guard.has_ok]
condition = "test -f ok-{name}"
retry = { max = 2, interval = "50ms" }

[guard.never]
condition = "false"
retry = { max = 1000, interval = "50ms" }
timeout = "400ms"
on_timeout = ["escalate"]
`,
    });
    expect((await t.oj(['run', 'post', 'x', '--wait'], { cwd: root })).exitCode).toBe(0);
    const post = await show(root, 'post-x');
    expect(post.runs.map((r) => `${r.phase}:${r.status}`)).toEqual(['start:done', 'make:failed', 'fix:done', 'make:done']);
    expect(read(join(root, 'trace'))).toBe('made\nmade\n');
    await t.oj(['run', 'pre', 'y'], { cwd: root });
    // The escalation hands the phase to a human: the pipeline waits for one.
    const pre = await waitFor('pre-y waiting for a human', async () => {
      const p = await status(root, 'pre-y');
      return p.status === 'waiting' && p.waitingFor?.kind === 'human' ? p : null;
    });
    expect(pre.waitingFor?.detail).toMatch(/pre guard never not met within 400ms: exit code 1/);
    expect((await events(root, 'escalate')).some((e) => e.subject === 'pre-y')).toBe(true);
    const failed = (await show(root, 'post-x')).history.find((e) => e.name === 'pipeline:post-x:make:failed');
    expect(String(failed?.data.error)).toMatch(/post guard has_ok failed after 3 checks: exit code 1/);
  });
});

const STRATEGY = `
[command.land]
args = "<name>"
run = { pipeline = "land" }

[pipeline.land]
inputs = ["name"]

[[pipeline.land.phase]]
name = "merge"
strategy = "merge"
lock = "main_branch"

[strategy.merge]
checkpoint = "git rev-parse HEAD"
on_exhaust = "escalate"

[[strategy.merge.attempt]]
name = "fast-forward"
run = "git merge --ff-only main"
timeout = "1m"

[[strategy.merge.attempt]]
name = "rebase"
run = "git rebase main"
timeout = "1m"
rollback = "git rebase --abort; git reset --hard {checkpoint}"

[[strategy.merge.attempt]]
name = "by-hand"
run = "echo junk >> README && git commit -qam junk && exit 3"
timeout = "1m"
rollback = "git reset --hard {checkpoint}"

[lock.main_branch]
`;

function gitRepo(root: string, conflict: boolean): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  git('checkout', '-q', '-b', 'topic');
  writeFileSync(join(root, conflict ? 'README' : 'topic.txt'), 'topic\n');
  git('add', '-A');
  git('commit', '-qm', 'topic work');
  git('checkout', '-q', 'main');
  writeFileSync(join(root, conflict ? 'README' : 'main.txt'), 'main\n');
  git('add', '-A');
  git('commit', '-qm', 'main work');
  git('checkout', '-q', 'topic');
  return git('rev-parse', 'HEAD');
}

describe('strategies', () => {
  it('in a real git repository: fast-forward fails, rebase succeeds; show tells how each attempt went', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'repo', { land: STRATEGY }, { git: true });
    const before = gitRepo(root, false);
    expect((await t.oj(['run', 'land', 'x', '--wait'], { cwd: root })).exitCode).toBe(0);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
    expect(git('rev-parse', 'HEAD^')).toBe(git('rev-parse', 'main'));
    expect(git('rev-parse', 'HEAD')).not.toBe(before);
    const human = (await t.oj(['pipeline', 'show', 'land-x'], { cwd: root })).stdout;
    expect(human).toMatch(/strategy merge: checkpoint [0-9a-f]{40}/);
    expect(human).toMatch(/attempt 1\/3 "fast-forward" failed: exit code 128/);
    expect(human).toMatch(/attempt 2\/3 "rebase" succeeded/);
    const attempts = (await show(root, 'land-x')).history.filter((e) => e.name === 'strategy:attempt').map((e) => `${e.data.attempt}:${e.data.status}`);
    expect(attempts).toEqual(['fast-forward:running', 'fast-forward:failed', 'rebase:running', 'rebase:succeeded']);
  });

  it('rolls back to the checkpoint after each failing attempt and escalates when every attempt fails', async () => {
    await t.startDaemon();
    const root = makeProject(t, 'repo', { land: STRATEGY }, { git: true });
    const before = gitRepo(root, true);
    await t.oj(['run', 'land', 'x'], { cwd: root });
    await waitFor('land-x waiting for a human', async () => {
      const p = await status(root, 'land-x');
      return p.status === 'waiting' && p.waitingFor?.kind === 'human';
    }, 30_000);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
    expect(git('rev-parse', 'HEAD')).toBe(before);
    expect(git('status', '--porcelain')).toBe('');
    expect(existsSync(join(root, '.git', 'rebase-merge'))).toBe(false);
    const shown = await show(root, 'land-x');
    expect(shown.pipeline.status).toBe('waiting');
    expect(shown.pipeline.waitingFor?.detail).toMatch(/strategy merge: every attempt failed \(fast-forward: exit code 128; rebase: exit code 1; by-hand: exit code 3\)/);
    expect(shown.history.some((e) => e.name === 'escalate')).toBe(true);
    const attempts = shown.history.filter((e) => e.name === 'strategy:attempt' && e.data.status !== 'running');
    expect(attempts.map((e) => `${e.data.attempt}:${e.data.status}:${e.data.rollback ?? '-'}`)).toEqual([
      'fast-forward:failed:-',
      'rebase:failed:ok',
      'by-hand:failed:ok',
    ]);
    const human = (await t.oj(['pipeline', 'show', 'land-x'], { cwd: root })).stdout;
    expect(human).toMatch(/attempt 2\/3 "rebase" failed: exit code 1; rollback to [0-9a-f]{40} ok/);
    expect(human).toMatch(/exhausted; escalated/);
    // The lock was released when the phase was handed to a human.
    expect((await lockOf(root, 'main_branch')).held).toBe(false);
  });

  it('a daemon restart resumes at the attempt it was on, with the checkpoint it took', async () => {
    const d = await t.startDaemon();
    const root = makeProject(t, 'proj', {
      s: `
[command.go]
args = "<name>"
run = { pipeline = "go" }

[pipeline.go]
inputs = ["name"]

[[pipeline.go.phase]]
name = "try"
strategy = "tries"

[strategy.tries]
checkpoint = "date +%s%N"
on_exhaust = "abandon"

[[strategy.tries.attempt]]
name = "first"
run = "echo first {checkpoint} >> trace; exit 1"

[[strategy.tries.attempt]]
name = "second"
run = "echo second {checkpoint} >> trace; while [ ! -f go ]; do sleep 0.02; done"
rollback = "echo rollback {checkpoint} >> trace"
`,
    });
    await t.oj(['run', 'go', 'x'], { cwd: root });
    await waitFor('second attempt', () => read(join(root, 'trace')).includes('second'));
    d.kill('SIGKILL');
    await waitFor('ojd to die', () => d.exitCode !== null || d.signalCode !== null);
    await t.startDaemon();
    await waitFor('second attempt again', () => read(join(root, 'trace')).split('\n').filter((l) => l.startsWith('second')).length === 2);
    writeFileSync(join(root, 'go'), '');
    expect((await t.oj(['pipeline', 'wait', 'go-x', '--timeout', '20s'], { cwd: root })).exitCode).toBe(0);
    const lines = read(join(root, 'trace')).trim().split('\n');
    const cp = lines[0]!.split(' ')[1];
    expect(lines).toEqual([`first ${cp}`, `second ${cp}`, `rollback ${cp}`, `second ${cp}`]);
    const human = (await t.oj(['pipeline', 'show', 'go-x'], { cwd: root })).stdout;
    expect(human).toMatch(/resumed at attempt 2\/2 after a daemon restart/);
  });
});
