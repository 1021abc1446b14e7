/** Queues and workers, end to end with a real ojd and the real oj. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RawClient, TestEnv, canConnect, makeProject, waitFor } from './helpers/ojd-harness.js';
import { Rpc } from './helpers/rpc-call.js';
import { EventMethods, PipelineMethods, QueueMethods, WorkerMethods } from '@oj/protocol';

type Item = {
  queue: string;
  id: string;
  status: string;
  attempts: number;
  failures: number;
  data: Record<string, unknown>;
  takenBy: string | null;
  error: string | null;
};
type Worker = { name: string; status: string; running: number; pending: number; idleSince: string | null };

let t: TestEnv;
let rpcs: Rpc[] = [];
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  for (const r of rpcs) r.close();
  rpcs = [];
  await t.cleanup();
});

/** Starts ojd and connects a raw RPC client (cheap polling; the CLI is kept for what is asserted about it). */
async function start(): Promise<{ rpc: Rpc; daemon: Awaited<ReturnType<TestEnv['startDaemon']>> }> {
  const daemon = await t.startDaemon();
  const rpc = await Rpc.connect(t.socket);
  rpcs.push(rpc);
  return { rpc, daemon };
}

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

async function items(rpc: Rpc, root: string, queue: string): Promise<Item[]> {
  return (await rpc.call(QueueMethods.List, { project: root, queue, pull: false })).items;
}

async function workers(rpc: Rpc, root: string): Promise<Worker[]> {
  return (await rpc.call(WorkerMethods.List, { project: root })).workers;
}

/**
 * A phase that records how many handlers run at once: a file per running item, counted on entry.
 * b5 (taken first: highest priority, oldest) holds on until a second handler runs beside it and
 * counts again, so overlap is shown whatever the machine's speed; a worker that ran one item at a
 * time would record none (b5 gives up after 20 s).
 */
const COUNTING_PHASE = `
[[pipeline.fix.phase]]
name = "work"
run = """
mkdir -p {project_root}/running
touch {project_root}/running/{bug.id}
ls {project_root}/running | wc -l >> {project_root}/concurrency
if [ {bug.id} = b5 ]; then
  i=0
  while [ $(ls {project_root}/running | wc -l) -lt 2 ] && [ $i -lt 1000 ]; do sleep 0.02; i=$((i+1)); done
  ls {project_root}/running | wc -l >> {project_root}/concurrency
fi
sleep 0.15
rm {project_root}/running/{bug.id}
echo {bug.id} >> {project_root}/done
"""
`;

const BUGFIX = `
[command.bugfix]
args = "<id> <title>"
run = """
oj queue add bugs id={id} title={title}
oj worker wake bugfix
"""

[worker.bugfix]
queue = "bugs"
handler = "pipeline.fix"
concurrency = 4
idle_action = "wait:30s"

[queue.bugs]
order = "priority"
max_retries = 2

[pipeline.fix]
inputs = ["bug"]
${COUNTING_PHASE}
`;

describe('a worker draining a queue', () => {
  it('drains 50 items with concurrency 4: never more than 4 at once, each exactly once', async () => {
    const { rpc } = await start();
    const root = makeProject(t, 'proj', { bugfix: BUGFIX });
    const batch = Array.from({ length: 49 }, (_, i) => ({ id: `b${i + 1}`, title: `bug ${i + 1}`, priority: i % 5 }));
    const add = await t.oj(['queue', 'add', 'bugs', JSON.stringify(batch)], { cwd: root });
    expect(add.stdout).toMatch(/^added 49 items to bugs\n$/);
    expect((await t.oj(['queue', 'add', 'bugs', 'id=b50', 'title=the last one'], { cwd: root })).stdout).toBe('added bugs/b50\n');
    const before = await items(rpc, root, 'bugs');
    // order = "priority": highest first, then oldest; b50 has no priority: last.
    expect(before.slice(0, 3).map((i) => i.id)).toEqual(['b5', 'b10', 'b15']);
    expect(before[before.length - 1]!.id).toBe('b50');

    expect((await t.oj(['worker', 'start', 'bugfix'], { cwd: root })).stdout).toBe('worker bugfix started\n');
    await waitFor('50 items done', () => lines(join(root, 'done')).length >= 50, 30_000);
    const final = await waitFor('all completed', async () => {
      const list = await items(rpc, root, 'bugs');
      return list.every((i) => i.status === 'completed') ? list : null;
    });
    const done = lines(join(root, 'done'));
    expect(done).toHaveLength(50);
    expect(new Set(done).size).toBe(50);
    const counts = lines(join(root, 'concurrency')).map(Number);
    expect(Math.max(...counts)).toBeLessThanOrEqual(4);
    expect(Math.max(...counts)).toBeGreaterThan(1); // b5 waited for a second handler
    expect(final.every((i) => i.attempts === 1)).toBe(true);
    const { pipelines } = await rpc.call(PipelineMethods.List, { project: root });
    expect(pipelines).toHaveLength(50);
    await waitFor('worker idle', async () => (await workers(rpc, root))[0]?.idleSince);
    const list = await t.oj(['worker', 'list'], { cwd: root });
    expect(list.stdout).toMatch(/^WORKER\s+STATUS\s+QUEUE\s+HANDLER\s+RUNNING\s+PENDING\s+IDLE\s+SINCE\nbugfix\s+started\s+bugs\s+pipeline\.fix\s+0\/4\s+0\s+idle \d+s\s+\d+s ago\n$/);
  });

  it("runs the concept document's bugfix flow: a command queues an item and wakes the worker", async () => {
    const { rpc } = await start();
    const root = makeProject(t, 'proj', { bugfix: BUGFIX });
    await rpc.call(WorkerMethods.Start, { project: root, name: 'bugfix' });
    const r = await t.oj(['run', 'bugfix', 'BUG-7', 'Login fails; $(touch pwned)'], { cwd: root });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('added bugs/BUG-7\nworker bugfix woken\n');
    await waitFor('item done', () => lines(join(root, 'done')).includes('BUG-7'));
    const shown = await waitFor('completed', async () => {
      const x = await rpc.call(QueueMethods.Show, { project: root, queue: 'bugs', id: 'BUG-7' });
      return x.item.status === 'completed' ? x : null;
    });
    expect(shown.item).toMatchObject({ data: { id: 'BUG-7', title: 'Login fails; $(touch pwned)' } });
    expect(shown.attempts).toMatchObject([{ attempt: 1, outcome: 'completed', takenBy: 'fix-bug-7' }]);
    expect(existsSync(join(root, 'pwned'))).toBe(false);
  });

  it("the concept document's build command (oj queue add, then oj worker wake) starts a stopped worker: exit 0, the item is processed", async () => {
    const { rpc } = await start();
    const root = makeProject(t, 'proj', {
      build: `
[command.build]
args = "<name> <prompt>"
run = """
oj queue add builds name={name} prompt={prompt}
oj worker wake builds
"""

[worker.builds]
queue = "builds"
handler = "pipeline.build"
idle_action = "wait:1h"

[queue.builds]

[pipeline.build]
inputs = ["job"]

[[pipeline.build.phase]]
name = "go"
run = "echo {job.name} >> {project_root}/built"
`,
    });
    // Stopped on purpose (as a user or a monitor left it), not merely never started.
    await rpc.call(WorkerMethods.Start, { project: root, name: 'builds' });
    await rpc.call(WorkerMethods.Stop, { project: root, name: 'builds' });
    const r = await t.oj(['run', 'build', 'auth', 'Add authentication'], { cwd: root });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/\nworker builds started \(it was stopped\)\n$/);
    await waitFor('item built', () => lines(join(root, 'built')).includes('auth'));
    await waitFor('item completed', async () => (await items(rpc, root, 'builds'))[0]?.status === 'completed');
    expect((await workers(rpc, root))[0]?.status).toBe('started');
    // The RPC says what happened: started this time, a plain wake the next.
    const again = await rpc.call(WorkerMethods.Wake, { project: root, name: 'builds' });
    expect(again.started).toBe(false);
    expect((await t.oj(['worker', 'wake', 'builds'], { cwd: root })).stdout).toBe('worker builds woken\n');
    await rpc.call(WorkerMethods.Stop, { project: root, name: 'builds' });
    const woken = await rpc.call(WorkerMethods.Wake, { project: root, name: 'builds' });
    expect(woken).toMatchObject({ started: true, worker: { status: 'started' } });
  });
});

const FLAKY = `
[worker.flaky]
queue = "jobs"
handler = "pipeline.try"
concurrency = 2

[queue.jobs]
max_retries = 2
on_exhaust = "dead"

[queue.jobs.dead]
retention = "7d"

[pipeline.try]
inputs = ["job"]

[[pipeline.try.phase]]
name = "go"
run = "echo {job.id} >> {project_root}/tries; test -f {project_root}/ok-{job.id}"
`;

describe('retries and dead letters', () => {
  it('retries a failing item max_retries times, dead-letters it, and oj queue retry brings it back', async () => {
    const { rpc } = await start();
    const root = makeProject(t, 'proj', { flaky: FLAKY });
    await rpc.call(WorkerMethods.Start, { project: root, name: 'flaky' });
    await rpc.call(QueueMethods.Add, { project: root, queue: 'jobs', items: [{ id: 'j1' }] });
    await waitFor('dead letter', async () => (await items(rpc, root, 'jobs'))[0]?.status === 'dead');
    const dead = await t.ojJson<Item[]>(['queue', 'dead', 'jobs'], { cwd: root });
    expect(dead).toMatchObject([{ id: 'j1', status: 'dead', attempts: 3, failures: 3 }]);
    expect(dead[0]!.error).toMatch(/pipeline try-j1-3 failed: phase "go" failed: exit code 1/);
    expect(lines(join(root, 'tries'))).toEqual(['j1', 'j1', 'j1']);
    const attempts = await t.oj(['queue', 'attempts', 'jobs', 'j1'], { cwd: root });
    expect(attempts.stdout).toMatch(/^#\s+TAKEN\s+BY\s+OUTCOME\s+ERROR\n1\s+\d+s ago\s+try-j1\s+failed\s+pipeline try-j1 failed/);
    expect(attempts.stdout.trim().split('\n')).toHaveLength(4);
    const human = await t.oj(['queue', 'dead'], { cwd: root });
    // A 7-day retention that has just started reads "in 7d" (rounded to the hour at that scale).
    expect(human.stdout).toMatch(/^QUEUE\s+ID\s+FAILURES\s+DIED\s+EXPIRES\s+ERROR\njobs\s+j1\s+3\s+\d+s ago\s+in 7d\s/);

    writeFileSync(join(root, 'ok-j1'), '');
    expect((await t.oj(['queue', 'retry', 'jobs', 'j1'], { cwd: root })).stdout).toBe('jobs/j1: pending again\n');
    await waitFor('completed after redrive', async () => (await items(rpc, root, 'jobs'))[0]?.status === 'completed');
    const after = await rpc.call(QueueMethods.Attempts, { project: root, queue: 'jobs', id: 'j1' });
    expect(after.attempts.map((a) => a.outcome)).toEqual(['failed', 'failed', 'failed', 'completed']);
    const notDead = await t.oj(['queue', 'retry', 'jobs', 'j1'], { cwd: root });
    expect(notDead.exitCode).toBe(1);
    expect(notDead.stderr).toMatch(/item jobs\/j1 is completed, not dead/);
  });
});

const REQUEUE_ON_EXHAUST = `
[worker.w]
queue = "jobs"
handler = "pipeline.hold"
idle_action = "wait:1h"

[queue.jobs]
max_retries = 2
on_exhaust = "requeue"

[pipeline.hold]
inputs = ["job"]

[[pipeline.hold.phase]]
name = "work"
run = "touch {project_root}/holding-{job.id}; while [ ! -f {project_root}/release ]; do sleep 0.05; done"
`;

describe('oj queue bury', () => {
  it('buries an item of an on_exhaust = "requeue" queue in one transition with one queue:item:dead event; burying a dead or completed item is an error', async () => {
    const { rpc } = await start();
    const root = makeProject(t, 'proj', { q: REQUEUE_ON_EXHAUST });
    await t.oj(['queue', 'add', 'jobs', 'id=p1'], { cwd: root });
    const lastId = async () => (await rpc.call(EventMethods.List, { limit: 1 })).lastId;
    const before = await lastId();
    const r = await t.oj(['queue', 'bury', 'jobs', 'p1', '--reason', 'not worth retrying'], { cwd: root });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('jobs/p1: dead\n');
    expect((await items(rpc, root, 'jobs'))[0]).toMatchObject({ id: 'p1', status: 'dead', error: 'not worth retrying' });
    // Exactly one event for the bury: no fail/requeue loop behind it.
    expect((await lastId()) - before).toBe(1);
    const { events } = await rpc.call(EventMethods.List, { since: before, project: root });
    expect(events).toMatchObject([{ name: 'queue:item:dead', data: { queue: 'jobs', id: 'p1', buried: true, from: 'pending' } }]);
    const dead = await t.ojJson<Item[]>(['queue', 'dead', 'jobs'], { cwd: root });
    expect(dead.map((i) => i.id)).toEqual(['p1']);

    // Again: a clear error, one line, exit 1; over JSON-RPC an illegal-state error with code and data.
    const again = await t.oj(['queue', 'bury', 'jobs', 'p1'], { cwd: root });
    expect(again.exitCode).toBe(1);
    expect(again.stderr.split('\n')[0]).toBe('error: item jobs/p1 is already dead');
    const raw = await RawClient.connect(t.socket);
    raw.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'queues.bury', params: { project: root, queue: 'jobs', id: 'p1' } }) + '\n');
    const [answer] = (await raw.next(1)) as { error: { code: number; message: string; data: Record<string, unknown> } }[];
    raw.close();
    expect(answer!.error).toMatchObject({ code: 1004, message: 'item jobs/p1 is already dead', data: { kind: 'illegal_state', state: 'dead' } });

    // A taken item held by a worker's pipeline: dead at once, its pipeline cancelled, nothing requeued.
    await t.oj(['queue', 'add', 'jobs', 'id=t1'], { cwd: root });
    await rpc.call(WorkerMethods.Start, { project: root, name: 'w' });
    await waitFor('t1 held', () => existsSync(join(root, 'holding-t1')));
    const holder = (await items(rpc, root, 'jobs')).find((i) => i.id === 't1')!.takenBy!;
    const beforeTaken = await lastId();
    expect((await t.oj(['queue', 'bury', 'jobs', 't1'], { cwd: root })).stdout).toBe('jobs/t1: dead\n');
    await waitFor('holder cancelled', async () => (await rpc.call(PipelineMethods.Show, { id: holder, project: root })).pipeline.status === 'cancelled');
    expect((await items(rpc, root, 'jobs')).find((i) => i.id === 't1')).toMatchObject({ status: 'dead', takenBy: null });
    const after = await rpc.call(EventMethods.List, { since: beforeTaken, project: root });
    expect(after.events.filter((e) => e.name.startsWith('queue:item:')).map((e) => e.name)).toEqual(['queue:item:dead']);
    const attempts = await rpc.call(QueueMethods.Attempts, { project: root, queue: 'jobs', id: 't1' });
    expect(attempts.attempts).toMatchObject([{ outcome: 'failed', error: 'buried by oj queue bury' }]);

    // A completed item cannot be buried either.
    await t.oj(['queue', 'add', 'jobs', 'id=c1'], { cwd: root });
    writeFileSync(join(root, 'release'), '');
    await waitFor('c1 completed', async () => (await items(rpc, root, 'jobs')).find((i) => i.id === 'c1')?.status === 'completed');
    const completed = await t.oj(['queue', 'bury', 'jobs', 'c1'], { cwd: root });
    expect(completed.exitCode).toBe(1);
    expect(completed.stderr).toMatch(/^error: item jobs\/c1 is completed; only pending or taken items can be buried\n/);
    const missing = await t.oj(['queue', 'bury', 'jobs', 'nope'], { cwd: root });
    expect(missing.exitCode).toBe(3);
  });
});

const STUCK = `
[worker.stuck]
queue = "slow"
handler = "pipeline.hang"
concurrency = 1

[queue.slow]
visibility_timeout = "1s"
max_retries = 1

[pipeline.hang]
inputs = ["job"]

[[pipeline.hang.phase]]
name = "work"
run = """
if [ ! -f {project_root}/hung-{job.id} ]; then touch {project_root}/hung-{job.id}; sleep 60; fi
echo {job.id} >> {project_root}/done
"""
`;

describe('visibility timeout', () => {
  it('an item held past its visibility timeout by a stuck pipeline becomes visible again; the stuck pipeline is cancelled', async () => {
    const { rpc } = await start();
    const root = makeProject(t, 'proj', { stuck: STUCK });
    await rpc.call(QueueMethods.Add, { project: root, queue: 'slow', items: [{ id: 's1' }] });
    await rpc.call(WorkerMethods.Start, { project: root, name: 'stuck' });
    await waitFor('second attempt done', () => lines(join(root, 'done')).includes('s1'), 15_000);
    const shown = await waitFor('completed', async () => {
      const x = await rpc.call(QueueMethods.Show, { project: root, queue: 'slow', id: 's1' });
      return x.item.status === 'completed' ? x : null;
    });
    expect(shown.item.attempts).toBe(2);
    expect(shown.attempts.map((a) => a.outcome)).toEqual(['timed_out', 'completed']);
    expect(shown.attempts[0]!.error).toMatch(/visibility timeout \(1s\) passed; pipeline hang-s1 cancelled/);
    const first = await rpc.call(PipelineMethods.Show, { id: 'hang-s1', project: root });
    expect(first.pipeline.status).toBe('cancelled');
    expect(first.pipeline.error).toMatch(/visibility timeout \(1s\) of item slow\/s1/);
  });

  it('an item a script took and never finished becomes visible again with its attempt counted', async () => {
    const { rpc } = await start();
    const root = makeProject(t, 'proj', { q: `[queue.inbox]\nvisibility_timeout = "500ms"\nmax_retries = 0\n` });
    await rpc.call(QueueMethods.Add, { project: root, queue: 'inbox', items: [{ id: 'm1', subject: 'hi' }] });
    const taken = await t.oj(['queue', 'take', 'inbox', '--by', 'script'], { cwd: root });
    expect(JSON.parse(taken.stdout)).toEqual({ id: 'm1', subject: 'hi' });
    const empty = await t.oj(['queue', 'take', 'inbox'], { cwd: root });
    expect(empty.exitCode).toBe(1);
    expect(empty.stderr).toBe('queue inbox has no visible items\n');
    // max_retries = 0: the one timed-out attempt exhausts it.
    const dead = await waitFor('timed out to dead', async () => {
      const [i] = await items(rpc, root, 'inbox');
      return i?.status === 'dead' ? i : null;
    });
    expect(dead).toMatchObject({ attempts: 1, failures: 1, error: 'visibility timeout (500ms) passed' });
  });
});

describe('wake_on', () => {
  it('starts work on the event instead of waiting out its hour-long idle interval', async () => {
    const { rpc } = await start();
    const root = makeProject(t, 'proj', {
      w: `
[worker.watcher]
queue = "inbox"
handler = "pipeline.handle"
idle_action = "wait:1h"
wake_on = ["bug:created"]

[queue.inbox]
source = "cat {project_root}/inbox.json"

[pipeline.handle]
inputs = ["msg"]

[[pipeline.handle.phase]]
name = "go"
run = "echo {msg.id} >> {project_root}/handled"
`,
    });
    writeFileSync(join(root, 'inbox.json'), '[]');
    await rpc.call(WorkerMethods.Start, { project: root, name: 'watcher' });
    await waitFor('idle', async () => (await workers(rpc, root))[0]?.idleSince);
    writeFileSync(join(root, 'inbox.json'), '[{"id": "m1"}]');
    // idle_action is wait:1h: only the wake_on event can make it look at the source again.
    await rpc.call(EventMethods.Emit, { name: 'bug:created', subject: 'm1', project: root });
    await waitFor('taken', async () => (await items(rpc, root, 'inbox'))[0]?.status, 30_000, 10);
    await waitFor('handled', () => lines(join(root, 'handled')).includes('m1'));
    // The CLI's `oj emit` wakes it the same way.
    writeFileSync(join(root, 'inbox.json'), '[{"id": "m1"}, {"id": "m2"}]');
    await t.oj(['emit', 'bug:created'], { cwd: root });
    await waitFor('handled m2', () => lines(join(root, 'handled')).includes('m2'), 5_000, 10);
  });
});

describe('crash recovery', () => {
  it('kill -9 mid-queue, restart: the queue finishes with no item lost or done twice', async () => {
    const { rpc, daemon } = await start();
    const root = makeProject(t, 'proj', {
      q: `
[worker.crunch]
queue = "work"
handler = "pipeline.crunch"
concurrency = 3

[queue.work]

[pipeline.crunch]
inputs = ["job"]

[[pipeline.crunch.phase]]
name = "step"
run = "echo start {job.id} >> {project_root}/trace; sleep 0.3; echo end {job.id} >> {project_root}/trace"
`,
    });
    const batch = Array.from({ length: 20 }, (_, i) => ({ id: `w${i + 1}` }));
    await rpc.call(QueueMethods.Add, { project: root, queue: 'work', items: batch });
    await rpc.call(WorkerMethods.Start, { project: root, name: 'crunch' });
    await waitFor('a few done', () => lines(join(root, 'trace')).filter((l) => l.startsWith('end')).length >= 5);
    daemon.kill('SIGKILL');
    await waitFor('ojd to die', () => daemon.exitCode !== null || daemon.signalCode !== null);
    const { rpc: again } = await start();
    const final = await waitFor(
      'all completed',
      async () => {
        const list = await items(again, root, 'work');
        return list.length === 20 && list.every((i) => i.status === 'completed') ? list : null;
      },
      30_000,
    );
    // Items in flight stayed with their pipelines: one attempt each, one pipeline each.
    expect(final.every((i) => i.attempts === 1)).toBe(true);
    const { pipelines } = await again.call(PipelineMethods.List, { project: root });
    expect(pipelines).toHaveLength(20);
    expect(pipelines.every((p) => p.status === 'done')).toBe(true);
    const trace = lines(join(root, 'trace'));
    expect(new Set(trace.filter((l) => l.startsWith('end'))).size).toBe(20);
    // Only the shell phases running at the crash ran again (at-least-once): at most `concurrency` of them.
    expect(trace.filter((l) => l.startsWith('start')).length - 20).toBeLessThanOrEqual(3);
    expect((await workers(again, root))[0]?.status).toBe('started');
  });
});

describe('an external source queue', () => {
  it('pulls items from a script, processes each once, never re-adds what it already has, and picks up new ones on wake', async () => {
    const { rpc } = await start();
    const root = makeProject(t, 'proj', {
      src: `
[worker.pick]
queue = "tickets"
handler = "pipeline.handle"
concurrency = 3
idle_action = "wait:1h"

[queue.tickets]
source = "cat {project_root}/tickets.json"
order = "priority DESC"

[pipeline.handle]
inputs = ["ticket"]

[[pipeline.handle.phase]]
name = "go"
run = "mkdir -p {project_root}/running; touch {project_root}/running/{ticket.id}; ls {project_root}/running | wc -l >> {project_root}/concurrency; sleep 0.05; rm {project_root}/running/{ticket.id}; echo {ticket.id} >> {project_root}/handled"
`,
    });
    const tickets = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, priority: i % 3, title: `t${i + 1}` }));
    writeFileSync(join(root, 'tickets.json'), JSON.stringify(tickets));
    const pulled = await t.oj(['queue', 'pull', 'tickets'], { cwd: root });
    expect(pulled.stdout).toBe('30 listed, 30 new\n');
    expect((await t.oj(['queue', 'pull', 'tickets'], { cwd: root })).stdout).toBe('30 listed, 0 new\n');
    await rpc.call(WorkerMethods.Start, { project: root, name: 'pick' });
    await waitFor('30 handled', () => lines(join(root, 'handled')).length >= 30, 20_000);
    await waitFor('all completed', async () => (await items(rpc, root, 'tickets')).every((i) => i.status === 'completed'));
    // The script still lists all 30: waking and pulling again adds nothing.
    await rpc.call(WorkerMethods.Wake, { project: root, name: 'pick' });
    expect((await rpc.call(QueueMethods.Pull, { project: root, queue: 'tickets' })).added).toEqual([]);
    writeFileSync(join(root, 'tickets.json'), JSON.stringify([...tickets, { id: 31, priority: 0 }]));
    expect((await t.oj(['worker', 'wake', 'pick'], { cwd: root })).stdout).toBe('worker pick woken\n');
    await waitFor('new ticket handled', () => lines(join(root, 'handled')).includes('31'));
    const handled = lines(join(root, 'handled'));
    expect(handled).toHaveLength(31);
    expect(new Set(handled).size).toBe(31);
    expect(Math.max(...lines(join(root, 'concurrency')).map(Number))).toBeLessThanOrEqual(3);
    const list = await waitFor('31 completed', async () => {
      const l = await items(rpc, root, 'tickets');
      return l.length === 31 && l.every((i) => i.status === 'completed') ? l : null;
    });
    expect(list.every((i) => i.attempts === 1)).toBe(true);
  });

  it('reports a failing source without losing what the queue holds', async () => {
    await start();
    const root = makeProject(t, 'proj', { src: `[queue.broken]\nsource = "echo oops >&2; exit 3"\n` });
    const r = await t.oj(['queue', 'pull', 'broken'], { cwd: root });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/source command exited 3: oops/);
    const summary = await t.oj(['queue', 'list'], { cwd: root });
    expect(summary.stdout).toMatch(/broken .*\(failing\)/);
  });
});

describe('large adds', () => {
  it('oj queue add --stdin adds 100,000 items in one command (chunked under the line limit); one item over it is refused at once', async () => {
    const { rpc } = await start();
    const root = makeProject(t, 'proj', { q: '[queue.big]\n' });
    const items = Array.from({ length: 100_000 }, (_, i) => JSON.stringify({ id: `bug-${i}`, title: `bug number ${i}`, body: 'x'.repeat(40) }));
    const r = await t.oj(['queue', 'add', 'big', '--stdin'], { cwd: root, input: items.join('\n') + '\n', timeout: 300_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('added 100000 items to big\n');
    const { queues } = await rpc.call(QueueMethods.Queues, { project: root });
    expect(queues.find((q) => q.name === 'big')?.counts.pending).toBe(100_000);
    const huge = await t.oj(['queue', 'add', 'big', '--stdin'], { cwd: root, input: JSON.stringify({ id: 'huge', blob: 'y'.repeat(5_000_000) }) });
    expect(huge.exitCode).toBe(2);
    expect(huge.stderr).toMatch(/item 1 is \d+ bytes of JSON, over the \d+-byte limit of one item/);
  }, 600_000);
});

describe('the queue CLI', () => {
  it('add, list, take, complete, fail, requeue, remove, with --json and clear errors', async () => {
    const { rpc } = await start();
    const root = makeProject(t, 'proj', { q: `[queue.todo]\norder = "rank ASC"\nmax_retries = 1\n` });
    await t.oj(['queue', 'add', 'todo', 'id=a', 'rank=3'], { cwd: root });
    await t.oj(['queue', 'add', 'todo', '{"id": "b", "rank": 1, "tags": ["x"]}'], { cwd: root });
    const generated = (await t.oj(['queue', 'add', 'todo', 'title=no rank', '--json'], { cwd: root })).stdout;
    const genId = (JSON.parse(generated) as { ids: string[] }).ids[0]!;
    const dup = await t.oj(['queue', 'add', 'todo', 'id=a'], { cwd: root });
    expect(dup.exitCode).toBe(1);
    expect(dup.stderr).toBe('already queued (not added): a\n');
    const list = await t.oj(['queue', 'list', 'todo'], { cwd: root });
    expect(list.stdout.split('\n').slice(0, 4).map((l) => l.split(/\s+/)[0])).toEqual(['ID', 'b', 'a', genId]);
    expect(list.stdout).toMatch(/\nb\s+pending\s+0\s+\d+s ago\s+-\s+rank=1 tags=\["x"\]\n/);

    const taken = JSON.parse((await t.oj(['queue', 'take', 'todo'], { cwd: root })).stdout) as Record<string, unknown>;
    expect(taken).toEqual({ id: 'b', rank: 1, tags: ['x'] });
    expect((await t.oj(['queue', 'complete', 'todo', 'b'], { cwd: root })).stdout).toBe('todo/b: completed\n');
    const again = await t.oj(['queue', 'complete', 'todo', 'b'], { cwd: root });
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/already completed/);

    await rpc.call(QueueMethods.Take, { project: root, queue: 'todo' });
    const failed = await t.ojJson<Item>(['queue', 'fail', 'todo', 'a', '--error', 'disk full'], { cwd: root });
    expect(failed).toMatchObject({ status: 'pending', failures: 1, error: 'disk full' });
    await rpc.call(QueueMethods.Take, { project: root, queue: 'todo' });
    expect((await rpc.call(QueueMethods.Fail, { project: root, queue: 'todo', id: 'a' })).item.status).toBe('dead');
    expect((await t.oj(['queue', 'requeue', 'todo', 'a'], { cwd: root })).stdout).toBe('todo/a: pending\n');
    expect((await t.oj(['queue', 'remove', 'todo', genId], { cwd: root })).stdout).toBe(`todo/${genId}: removed\n`);
    const all = await t.ojJson<Item[]>(['queue', 'list-all', '--status', 'pending,completed'], { cwd: root });
    expect(all.map((i) => `${i.id}:${i.status}`)).toEqual(['a:pending', 'b:completed']);

    const typo = await t.oj(['queue', 'add', 'tood', 'x=1'], { cwd: root });
    expect(typo.exitCode).toBe(3);
    expect(typo.stderr).toMatch(/queue not found: tood\nhint: did you mean "todo"\?/);
    const usage = await t.oj(['queue', 'add', 'todo', 'oops'], { cwd: root });
    expect(usage.exitCode).toBe(2);
    const nowhere = await t.oj(['queue', 'list'], { cwd: t.root });
    expect(nowhere.exitCode).toBe(2);
    expect(nowhere.stderr).toMatch(/not inside an oj project/);
  });
});

describe('worker lifecycle', () => {
  it('a started worker survives a daemon restart; stop keeps it stopped; events and hooks fire', async () => {
    const { rpc } = await start();
    const root = makeProject(t, 'proj', {
      w: `
[worker.echoer]
queue = "q"
handler = "pipeline.echo"

[worker.echoer.events]
on_start = "echo start {worker} {queue} >> {project_root}/hooks"
on_idle = "echo idle {worker} >> {project_root}/hooks"
on_stop = "echo stop {worker} >> {project_root}/hooks"

[queue.q]

[pipeline.echo]
inputs = ["item"]

[[pipeline.echo.phase]]
name = "go"
run = "echo {item.id} >> {project_root}/out"
`,
    });
    await rpc.call(WorkerMethods.Start, { project: root, name: 'echoer' });
    await waitFor('hooks', () => lines(join(root, 'hooks')).includes('idle echoer'));
    expect(lines(join(root, 'hooks'))[0]).toBe('start echoer q');
    rpc.close();
    expect((await t.oj(['daemon', 'stop'], { cwd: root })).exitCode).toBe(0);
    await waitFor('daemon gone', async () => !(await canConnect(t.socket)));
    const { rpc: again } = await start();
    await again.call(QueueMethods.Add, { project: root, queue: 'q', items: [{ id: 'after-restart' }] });
    await waitFor('processed after restart', () => lines(join(root, 'out')).includes('after-restart'));
    expect((await t.oj(['worker', 'healthy', 'echoer'], { cwd: root })).exitCode).toBe(0);

    expect((await t.oj(['worker', 'stop', 'echoer'], { cwd: root })).stdout).toBe('worker echoer stopped\n');
    await waitFor('stop hook', () => lines(join(root, 'hooks')).includes('stop echoer'));
    await again.call(QueueMethods.Add, { project: root, queue: 'q', items: [{ id: 'while-stopped' }] });
    const unhealthy = await t.oj(['worker', 'healthy', 'echoer'], { cwd: root });
    expect(unhealthy.exitCode).toBe(1);
    expect(unhealthy.stdout).toBe('worker echoer is stopped\n');
    expect((await workers(again, root))[0]).toMatchObject({ status: 'stopped', pending: 1 });
    const { events } = await again.call(EventMethods.List, { name: 'worker:*', project: root });
    const names = events.map((e) => e.name);
    expect(names[0]).toBe('worker:started');
    expect(names).toContain('worker:idle');
    expect(names[names.length - 1]).toBe('worker:stopped');
  });
});
