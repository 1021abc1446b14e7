/**
 * Issue 16 item 15: the disk holding the state directory fills up. The state
 * dir is a 2 MiB tmpfs (mounting one needs root: skipped with the reason
 * otherwise); a file fills it to the last byte while ojd runs. Wanted: ping
 * and status keep answering on the connections already open, a write fails
 * with DiskFull (1012, `disk_full`) saying "disk full (ENOSPC)", nothing is
 * half-written (no event, item or log line of a refused write), a phase
 * that ends meanwhile is not forgotten, and once the file is deleted writes
 * succeed again with no restart.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandMethods, DaemonMethods, EventMethods, OjError, PipelineMethods, QueueMethods, type EventRecord } from '@oj/protocol';
import { Rpc, checkDb, problemLines, withDb } from './helpers/crash-kit.js';
import { RawClient, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { startedPipeline } from './helpers/rpc-call.js';


let t: TestEnv;
let project: string;
let skip: string | null = null;
let mounted = false;

function tryMount(dir: string): string | null {
  if (process.getuid?.() !== 0) return 'not root: mounting a 2 MiB tmpfs for the state dir needs root';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return `mount -t tmpfs not permitted here: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
}

beforeAll(async () => {
  t = new TestEnv();
  mkdirSync(t.stateDir, { mode: 0o700 });
  skip = tryMount(t.stateDir);
  if (skip) {
    console.log(`disk-full e2e skipped: ${skip}`);
    return;
  }
  mounted = true;
  // Phase a ends when the test creates `go` (outside the state dir) and prints nothing, so it can end while the disk is full.
  project = makeProject(t, 'proj', {
    r: `
[command.hello]
run = "echo hello"

[queue.q]

[command.p]
run = { pipeline = "p" }

[pipeline.p]
[[pipeline.p.phase]]
name = "a"
run = "while [ ! -e {project_root}/go ]; do sleep 0.05; done"
[[pipeline.p.phase]]
name = "b"
run = "echo phase b ran"
`,
  });
  const started = await t.oj(['daemon', 'start']);
  expect(started.exitCode, started.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  if (!t) return;
  await t.oj(['daemon', 'stop', '--kill']);
  if (mounted) {
    // ojd has exited (daemon stop waits for it), and so has the phase's loop (even if a failed test left it waiting): the mount is free.
    if (project) writeFileSync(`${project}/go`, '');
    await waitFor('the state dir to unmount', () => {
      execFileSync('umount', [t.stateDir], { stdio: 'pipe' });
      return true;
    });
  }
  await t.cleanup();
}, 60_000);

/** Writes zeros to `path` until the file system has no room left; returns the bytes written. */
function fill(path: string): number {
  const fd = openSync(path, 'w', 0o600);
  const chunk = Buffer.alloc(64 * 1024);
  let total = 0;
  try {
    for (;;) {
      try {
        total += writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        // The last pages: smaller writes until not one byte fits.
        for (let size = 32 * 1024; size >= 1; size = Math.floor(size / 2)) {
          for (;;) {
            try {
              total += writeSync(fd, chunk, 0, size);
            } catch (e) {
              if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
              break;
            }
          }
        }
        return total;
      }
    }
  } finally {
    closeSync(fd);
  }
}

function expectDiskFull(err: unknown, stateDir: string): void {
  expect(err).toBeInstanceOf(OjError);
  const e = err as OjError;
  expect(e.code).toBe(1012);
  expect(e.message).toMatch(/^disk full \(ENOSPC\): no space left on the file system of .*; nothing was changed$/);
  expect(e.data).toMatchObject({ kind: 'disk_full', errno: 'ENOSPC', path: stateDir });
  expect((e.data as { hint: string }).hint).toContain('df -h');
}

describe('a full disk under the state dir', { timeout: 120_000 }, () => {
  it('reads and status go on, writes fail with "disk full (ENOSPC)" and change nothing, and writes work again once there is room', async (ctx) => {
    if (skip) ctx.skip();
    const rpc = await Rpc.connect(t.socket);
    // A follower, and a connection that has just read: both must stay open throughout.
    const follower = await RawClient.connect(t.socket);
    follower.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'events.follow', params: { name: 'disk:*' } }) + '\n');
    await follower.next(1);
    const before = (await rpc.call(EventMethods.Emit, { name: 'disk:before' })).event;
    await rpc.call(QueueMethods.Add, { project, queue: 'q', items: [{ id: 'kept', title: 'added before' }] });
    const itemsBefore = await t.ojJson<{ id: string }[]>(['queue', 'list', 'q'], { cwd: project });
    const pipeline = startedPipeline(await rpc.call(CommandMethods.Run, { project, command: 'p', args: [] }));
    const show = async () => (await rpc.call(PipelineMethods.Show, { project, id: pipeline.id })).pipeline;
    await waitFor('phase a to run', async () => {
      const p = await show();
      return p.status === 'running' && p.phase === 'a';
    });
    // Its process group is recorded (a write of its own) before the disk fills: the counts below are the test's writes only.
    await waitFor('the process group of phase a to be recorded', () =>
      withDb(`${t.stateDir}/oj.db`, (db) => (db.prepare('select pgid from phase_runs where pipeline_id = ?').get(pipeline.id) as { pgid: number | null } | undefined)?.pgid),
    );

    const filled = fill(`${t.stateDir}/fill`);
    expect(filled).toBeGreaterThan(0);
    expect(statfsSync(t.stateDir).bavail).toBe(0);

    // Writes through the socket: refused, one clear error each, on a connection that stays open.
    const blob = 'z'.repeat(20_000);
    for (let i = 0; i < 30; i++) {
      const err = await rpc.call(EventMethods.Emit, { name: 'disk:refused', data: { i, blob } }).catch((e: unknown) => e);
      expectDiskFull(err, t.stateDir);
    }
    expectDiskFull(await rpc.call(EventMethods.Emit, { name: 'disk:small' }).catch((e: unknown) => e), t.stateDir);
    expectDiskFull(await rpc.call(QueueMethods.Add, { project, queue: 'q', items: [{ id: 'lost', title: 'x' }] }).catch((e: unknown) => e), t.stateDir);

    // Reads and status on the same connection, and on new ones.
    expect(await rpc.call(DaemonMethods.Ping)).toMatchObject({ pong: true });
    const status = await rpc.call(DaemonMethods.Status);
    expect(status.diskFull).toMatchObject({ refused: 32 });
    const listed = await rpc.call(EventMethods.List, { since: before.id - 1, name: 'disk:*' });
    expect(listed.events.map((e) => e.name)).toEqual(['disk:before']);

    // The real CLI: the error in words (exit 1), status still shown.
    const emit = await t.oj(['emit', 'disk:cli'], { cwd: project });
    expect(emit.exitCode).toBe(1);
    expect(emit.stderr).toMatch(/error: disk full \(ENOSPC\): no space left on the file system of .*state; nothing was changed\nhint: free some space \(df -h .*\); ojd takes writes again by itself once there is room\n/);
    const add = await t.oj(['queue', 'add', 'q', 'id=cli', 'title=x'], { cwd: project });
    expect(add.exitCode).toBe(1);
    expect(add.stderr).toContain('disk full (ENOSPC)');
    const shown = await t.oj(['daemon', 'status']);
    expect(shown.exitCode).toBe(0);
    expect(shown.stdout).toMatch(/disk full\s+since .*: 34 write\(s\) refused; free space \(df -h /);
    expect((await t.oj(['queue', 'list', 'q'], { cwd: project })).exitCode).toBe(0);

    // A phase that ends now: its outcome cannot be written yet (the pipeline stays where it was, nothing half-done).
    writeFileSync(`${project}/go`, '');
    await waitFor('the outcome of phase a to be refused', async () => ((await rpc.call(DaemonMethods.Status)).diskFull?.refused ?? 0) > 34);
    expect(await show()).toMatchObject({ status: 'running', phase: 'a' });

    // Room again: the next write succeeds, with no restart and on the same connections.
    rmSync(`${t.stateDir}/fill`);
    const after = (await rpc.call(EventMethods.Emit, { name: 'disk:after' })).event;
    expect(after.id).toBeGreaterThan(before.id);
    await rpc.call(QueueMethods.Add, { project, queue: 'q', items: [{ id: 'later', title: 'added after' }] });
    await waitFor('status to say the disk has room', async () => (await rpc.call(DaemonMethods.Status)).diskFull === null);
    expect((await t.oj(['emit', 'disk:cli-after'], { cwd: project })).exitCode).toBe(0);
    // The phase's end is written once there is room, and the pipeline goes on.
    await waitFor('the pipeline to finish', async () => (await show()).status === 'done', 20_000).catch(async (e) => {
      console.log('pipeline:', JSON.stringify(await show()), '\nojd.log tail:', readFileSync(`${t.stateDir}/ojd.log`, 'utf8').slice(-6000));
      throw e;
    });
    const logs = await t.oj(['pipeline', 'logs', pipeline.id], { cwd: project });
    expect(logs.stdout).toContain('phase b ran');

    // Nothing of a refused write anywhere: the events, the queue.
    const events = await rpc.call(EventMethods.List, { since: before.id - 1, name: 'disk:*' });
    expect(events.events.map((e) => e.name)).toEqual(['disk:before', 'disk:after', 'disk:cli-after']);
    const items = await t.ojJson<{ id: string }[]>(['queue', 'list', 'q'], { cwd: project });
    expect(items.map((i) => i.id).sort()).toEqual([...itemsBefore.map((i) => i.id), 'later'].sort());
    // The follower was never dropped: it saw exactly the events that were written.
    await follower.next(4);
    const followed = follower.all.slice(1) as { params: { event: EventRecord } }[];
    expect(followed.map((n) => n.params.event.name)).toEqual(['disk:before', 'disk:after', 'disk:cli-after']);

    // The log goes on too: the recovery is in it, every line whole JSON (a line that did not fit was dropped whole, and counted).
    const log = await waitFor('the log to say writes succeed again', () => {
      const text = readFileSync(`${t.stateDir}/ojd.log`, 'utf8');
      return text.includes('disk space is back: writes succeed again') ? text : null;
    });
    const lines = log.split('\n').filter((l) => l !== '');
    for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
    expect(lines.some((l) => /"message":"\d+ log lines? dropped: there was no room on the disk"/.test(l))).toBe(true);
    const back = lines.map((l) => JSON.parse(l) as { message: string; refused?: number }).find((e) => e.message === 'disk space is back: writes succeed again');
    expect(back?.refused).toBeGreaterThan(34);
    expect(lines.some((l) => l.includes('pipeline outcome written once there was room'))).toBe(true);

    // And the database is sound.
    expect(problemLines(checkDb(`${t.stateDir}/oj.db`), ['error'])).toEqual([]);
    expect(await rpc.call(DaemonMethods.Ping)).toMatchObject({ pong: true });
    rpc.close();
    follower.close();
  });

  it('a daemon that cannot start on a full disk says so, and starts once there is room', async (ctx) => {
    if (skip) ctx.skip();
    expect((await t.oj(['daemon', 'stop'])).exitCode).toBe(0);
    fill(`${t.stateDir}/fill`);
    const refused = await t.oj(['emit', 'disk:while-stopped'], { cwd: project });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/error: could not start ojd: .*disk full \(ENOSPC\): no space left on the file system of .*; free some space \(df -h /);
    rmSync(`${t.stateDir}/fill`);
    const ok = await t.oj(['emit', 'disk:started-again'], { cwd: project });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/event #\d+ disk:started-again/);
  });
});
