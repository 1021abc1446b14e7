/**
 * Crash suite: ojd is killed with SIGKILL at chosen points (and, in the
 * randomized part, at random moments under a mixed load) and restarted on the
 * same state. After each restart: every acknowledged request's effect is
 * there, no queue item is lost or handed out twice at once, no lock is held by
 * nobody, no pipeline is stuck without a reason, and the database passes
 * `oj daemon check`. Points between an effect and its state write use the
 * daemon's OJ_FAULT injection (packages/daemon/src/fault-point.ts).
 *
 * Replay a randomized run: OJ_CRASH_SEED=<seed printed at the end>; more or
 * fewer rounds: OJ_CRASH_ROUNDS.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sqlite as BetterSqlite3 } from '../packages/daemon/src/storage/sqlite-driver.js';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, migrations, LATEST_SCHEMA_VERSION } from '../packages/daemon/src/storage/migrations.js';
import { QueryRunner, createQueryBuilder } from '../packages/daemon/src/storage/query-runner.js';
import { Rpc, alive, checkDb, killHard, problemLines, prng, seedFrom, startOjd, withDb, type Ojd } from './helpers/crash-kit.js';
import { REPO, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { startedPipeline } from './helpers/rpc-call.js';
import { CommandMethods, EventMethods, MaintenanceMethods, PipelineMethods, QueueMethods, SessionMethods, WorkerMethods } from '@oj/protocol';


let t: TestEnv;
let daemons: Ojd[] = [];
let clients: Rpc[] = [];
const stats = { scenarios: 0, kills: 0, rounds: 0, acknowledged: 0, seed: 0 };

beforeEach(() => {
  t = new TestEnv();
  daemons = [];
  clients = [];
});
afterEach(async () => {
  for (const c of clients) c.close();
  await t.cleanup();
  for (const d of daemons) await killHard(d);
});
afterAll(() => {
  console.log(
    `crash suite: ${stats.scenarios} scenarios, ${stats.kills} kills survived; randomized: ${stats.rounds} rounds survived, ` +
      `${stats.acknowledged} acknowledged requests all present (seed ${stats.seed}; replay with OJ_CRASH_SEED=${stats.seed})`,
  );
});

async function up(env: NodeJS.ProcessEnv = {}): Promise<{ ojd: Ojd; rpc: Rpc }> {
  const ojd = await startOjd(t, env);
  daemons.push(ojd);
  const rpc = await Rpc.connect(t.socket);
  clients.push(rpc);
  return { ojd, rpc };
}

async function crash(ojd: Ojd): Promise<void> {
  await killHard(ojd);
  stats.kills++;
}

const db = () => join(t.stateDir, 'oj.db');
const lines = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : []);
const pipeline = async (rpc: Rpc, root: string, id: string) => (await rpc.call(PipelineMethods.Show, { project: root, id })).pipeline;
const run = async (rpc: Rpc, root: string, command: string, args: string[]) =>
  startedPipeline(await rpc.call(CommandMethods.Run, { project: root, command, args }));
/**
 * `run` for a daemon that kills itself at a fault point the run reaches at
 * once: the answer waits for an fsync, and the phase's child may reach the
 * fault first (a fast child on a loaded machine), so the connection may close
 * unanswered. What the run wrote is checked from the database afterwards.
 */
const runToFault = (rpc: Rpc, root: string, command: string, args: string[]) =>
  run(rpc, root, command, args).catch((err: unknown) => {
    if (!/connection closed/.test(String(err))) throw err;
  });
const waitStatus = (rpc: Rpc, root: string, id: string, status: string, ms = 20_000) =>
  waitFor(`${id} ${status}`, async () => ((await pipeline(rpc, root, id)).status === status ? true : null), ms);

/** The database passes `oj daemon check`; with `strict`, not even a warning (nothing left to reconcile). */
function expectSound(strict: boolean): void {
  const report = checkDb(db());
  expect(problemLines(report, strict ? ['error', 'warning'] : ['error'])).toEqual([]);
  expect(report.ok).toBe(true);
}

const COMMAND = `[command.go]\nargs = "<name>"\nrun = { pipeline = "p" }\n\n[pipeline.p]\ninputs = ["name"]\n`;

describe('kill -9 at chosen points', { timeout: 90_000 }, () => {
  it('during a shell phase: the phase runs again once the old process group is gone, nothing is skipped', async () => {
    stats.scenarios++;
    const root = makeProject(t, 'proj', {
      r:
        COMMAND +
        `[[pipeline.p.phase]]\nname = "hold"\nrun = "echo start $$ >> {project_root}/trace; while [ ! -f {project_root}/go ]; do sleep 0.05; done; echo end >> {project_root}/trace"\n` +
        `[[pipeline.p.phase]]\nname = "after"\nrun = "echo after >> {project_root}/trace"\n`,
    });
    const { ojd, rpc } = await up();
    await run(rpc, root, 'go', ['a']);
    const first = await waitFor('the phase to start', () => lines(join(root, 'trace'))[0]);
    const firstPid = Number(first.split(' ')[1]);
    // The group as ojd recorded it (a start that had not reached ojd yet is the spawner's to end:
    // see the spawner's own tests).
    await waitFor('the phase process group to be recorded', () =>
      withDb(db(), (d) => (d.prepare(`SELECT pgid FROM phase_runs WHERE pipeline_id = 'p-a' AND status = 'running'`).get() as { pgid: number | null } | undefined)?.pgid),
    );
    await crash(ojd);
    expect(alive(firstPid)).toBe(true); // the phase's process group outlives the daemon...
    expectSound(true);
    const again = await up();
    const second = await waitFor('the phase to run again', () => lines(join(root, 'trace'))[1]);
    expect(alive(firstPid)).toBe(false); // ...until the next daemon ends it, before the re-run
    expect(second).toMatch(/^start \d+$/);
    writeFileSync(join(root, 'go'), '');
    await waitStatus(again.rpc, root, 'p-a', 'done');
    expect(lines(join(root, 'trace'))).toEqual([first, second, 'end', 'after']);
    expectSound(true);
  });

  it('between a cancel committing and its phase being killed (OJ_FAULT=before-effect:stop): the next daemon ends the cancelled run\'s processes, and does not run it again', async () => {
    stats.scenarios++;
    const root = makeProject(t, 'proj', {
      r: COMMAND + `[[pipeline.p.phase]]\nname = "hold"\nrun = "echo start $$ >> {project_root}/trace; sleep 600"\n`,
    });
    const { ojd, rpc } = await up({ OJ_FAULT: 'before-effect:stop' });
    await run(rpc, root, 'go', ['a']);
    const first = await waitFor('the phase to start', () => lines(join(root, 'trace'))[0]);
    const pid = Number(first.split(' ')[1]);
    await waitFor('the phase process group to be recorded', () =>
      withDb(db(), (d) => (d.prepare(`SELECT pgid FROM phase_runs WHERE pipeline_id = 'p-a' AND status = 'running'`).get() as { pgid: number | null } | undefined)?.pgid),
    );
    // The daemon dies answering it, or before: a closed connection is the only error expected.
    await rpc.call(PipelineMethods.Cancel, { project: root, id: 'p-a' }).catch((err: unknown) => {
      if (!/connection closed/.test(String(err))) throw err;
    });
    expect((await ojd.exited).signal).toBe('SIGKILL');
    stats.kills++;
    // The cancel committed; the phase's processes were never told to end.
    expect(withDb(db(), (d) => d.prepare(`SELECT status FROM pipelines WHERE id = 'p-a'`).get())).toEqual({ status: 'cancelled' });
    expect(withDb(db(), (d) => d.prepare(`SELECT status, pgid IS NOT NULL AS recorded FROM phase_runs WHERE pipeline_id = 'p-a'`).all())).toEqual([{ status: 'cancelled', recorded: 1 }]);
    expect(alive(pid)).toBe(true);
    const again = await up();
    await waitFor("the cancelled run's processes to be ended", () => !alive(pid));
    expect((await pipeline(again.rpc, root, 'p-a')).status).toBe('cancelled');
    expect(withDb(db(), (d) => d.prepare(`SELECT pgid FROM phase_runs WHERE pipeline_id = 'p-a'`).all())).toEqual([{ pgid: null }]);
    expect(lines(join(root, 'trace'))).toEqual([first]); // not run again
    expectSound(true);
  });

  it('killed before it recorded a phase it had just started (OJ_FAULT=spawned:unrecorded): the next daemon waits for the old spawner to end it, then runs it once more', async () => {
    stats.scenarios++;
    const root = makeProject(t, 'proj', {
      r: COMMAND + `[[pipeline.p.phase]]\nname = "hold"\nrun = "echo start $$ >> {project_root}/trace; sleep 600"\n`,
    });
    // The old spawner is slow to see ojd gone (3 s), as on a loaded machine.
    const { ojd, rpc } = await up({ OJ_FAULT: 'spawned:unrecorded,spawner:slow-exit' });
    await runToFault(rpc, root, 'go', ['a']);
    expect((await ojd.exited).signal).toBe('SIGKILL');
    stats.kills++;
    const first = await waitFor('the first copy to start', () => lines(join(root, 'trace'))[0]);
    const firstPid = Number(first.split(' ')[1]);
    expect(withDb(db(), (d) => d.prepare(`SELECT pgid FROM phase_runs WHERE pipeline_id = 'p-a'`).all())).toEqual([{ pgid: null }]);
    const again = await up();
    const second = await waitFor('the phase to run again', () => lines(join(root, 'trace'))[1]);
    // Never two copies at once: the first was gone before the second started.
    expect(alive(firstPid)).toBe(false);
    expect(second).toMatch(/^start \d+$/);
    await waitStatus(again.rpc, root, 'p-a', 'running');
  });

  it('a restarted daemon leaves alone a stranger that reused a recorded process group id', async () => {
    stats.scenarios++;
    const root = makeProject(t, 'proj', {
      r: COMMAND + `[[pipeline.p.phase]]\nname = "hold"\nrun = "echo start $$ >> {project_root}/trace; sleep 600"\n`,
    });
    const { ojd, rpc } = await up();
    await run(rpc, root, 'go', ['a']);
    await waitFor('the phase to start', () => lines(join(root, 'trace'))[0]);
    const recorded = () =>
      withDb(db(), (d) => d.prepare(`SELECT pgid FROM phase_runs WHERE pipeline_id = 'p-a' AND status = 'running'`).get() as { pgid: number | null } | undefined);
    const pgid = await waitFor('the phase process group to be recorded', () => recorded()?.pgid);
    await crash(ojd);
    // The old phase ends on its own (we kill it), and its id goes to a stranger: an unrelated
    // process that leads a group of its own (detached: setsid), as pid reuse would make it.
    process.kill(-pgid, 'SIGKILL');
    await waitFor('the old phase to be gone', () => !alive(pgid));
    const stranger = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    const strangerPid = stranger.pid!;
    try {
      const w = new BetterSqlite3(db());
      try {
        w.prepare(`UPDATE phase_runs SET pgid = ? WHERE pipeline_id = 'p-a' AND status = 'running'`).run(strangerPid);
      } finally {
        w.close();
      }
      const again = await up();
      // Reconciliation is over once the phase has run again (groups are ended before the re-run).
      await waitFor('the phase to run again', () => lines(join(root, 'trace'))[1], 20_000);
      const events = (await again.rpc.call(EventMethods.List, { limit: 1000 })).events;
      expect(events.some((e) => e.name === 'pipeline:phase' && String(e.data.reason ?? '').includes('daemon restarted'))).toBe(true);
      expect(alive(strangerPid)).toBe(true);
      process.kill(strangerPid, 0); // and signalable: it was never touched
    } finally {
      try {
        process.kill(-strangerPid, 'SIGKILL');
      } catch {
        // gone already (the test failed)
      }
    }
  });

  it('while a worker takes queue items: none lost, none handed out twice at once, each completed once', async () => {
    stats.scenarios++;
    const root = makeProject(t, 'proj', { q: WORKER_RUNBOOK });
    const { ojd, rpc } = await up();
    const ids = Array.from({ length: 24 }, (_, i) => `w${i + 1}`);
    await rpc.call(QueueMethods.Add, { project: root, queue: 'work', items: ids.map((id) => ({ id })) });
    await rpc.call(WorkerMethods.Start, { project: root, name: 'crunch' });
    await waitFor('items being taken', () => lines(join(root, 'trace')).length > 0, 20_000, 5);
    await crash(ojd);
    expectSound(false);
    const again = await up();
    await waitFor(
      'every item completed',
      async () => {
        const items = (await again.rpc.call(QueueMethods.List, { project: root, queue: 'work' })).items;
        return items.length === ids.length && items.every((i) => i.status === 'completed');
      },
      60_000,
    );
    expect(lines(join(root, 'DOUBLE'))).toEqual([]);
    const ended = new Set(lines(join(root, 'trace')).filter((l) => l.startsWith('end ')).map((l) => l.slice(4)));
    expect([...ended].sort()).toEqual([...ids].sort());
    expectCompletedOnce(root);
    await waitFor('pipelines done', async () => {
      const { pipelines } = await again.rpc.call(PipelineMethods.List, { project: root });
      return pipelines.length === ids.length && pipelines.every((p) => p.status === 'done');
    });
    expectSound(true);
  });

  it('while holding a lock: after the restart the lock is held by its pipeline, the waiter keeps its place', async () => {
    stats.scenarios++;
    const root = makeProject(t, 'proj', {
      r:
        COMMAND +
        `[[pipeline.p.phase]]\nname = "merge"\nlock = "main"\n` +
        `run = "echo start {name} >> {project_root}/trace; while [ ! -f {project_root}/go ]; do sleep 0.05; done; echo end {name} >> {project_root}/trace"\n` +
        `\n[lock.main]\nheartbeat = "2s"\n`,
    });
    const { ojd, rpc } = await up();
    await run(rpc, root, 'go', ['a']);
    await waitFor('a in the lock', () => lines(join(root, 'trace')).includes('start a'));
    await run(rpc, root, 'go', ['b']);
    await waitFor('b waiting', async () => (await pipeline(rpc, root, 'p-b')).status === 'waiting');
    await crash(ojd);
    expectSound(true); // held by a pipeline still in that phase: not held by nobody
    const holders = withDb(db(), (d) => d.prepare(`SELECT holder FROM resource_holds WHERE kind = 'lock'`).all() as { holder: string }[]);
    expect(holders.map((h) => h.holder)).toEqual(['p-a']);
    const again = await up();
    await waitFor('a to take its lock again', () => lines(join(root, 'trace')).filter((l) => l === 'start a').length === 2);
    const b = await pipeline(again.rpc, root, 'p-b');
    expect(b.status).toBe('waiting');
    expect(b.waitingFor).toMatchObject({ kind: 'lock', name: 'main' });
    writeFileSync(join(root, 'go'), '');
    await waitStatus(again.rpc, root, 'p-b', 'done');
    expect(lines(join(root, 'trace'))).toEqual(['start a', 'start a', 'end a', 'start b', 'end b']);
    expect(withDb(db(), (d) => d.prepare('SELECT COUNT(*) AS n FROM resource_holds').get())).toEqual({ n: 0 });
    expectSound(true);
  });

  it('during a strategy attempt: it resumes with its checkpoint, rolls the attempt back and goes on', async () => {
    stats.scenarios++;
    const root = makeProject(t, 'proj', {
      r:
        COMMAND +
        `[[pipeline.p.phase]]\nname = "merge"\nstrategy = "merge"\n\n` +
        `[strategy.merge]\ncheckpoint = "x=$(date +%s%N); echo checkpoint $x >> {project_root}/trace; echo $x"\n\n` +
        `[[strategy.merge.attempt]]\nname = "first"\n` +
        `run = "echo first >> {project_root}/trace; while [ ! -f {project_root}/go ]; do sleep 0.05; done; exit 1"\n` +
        `rollback = "echo rollback {checkpoint} >> {project_root}/trace"\n\n` +
        `[[strategy.merge.attempt]]\nname = "second"\nrun = "echo second >> {project_root}/trace"\n`,
    });
    const { ojd, rpc } = await up();
    await run(rpc, root, 'go', ['a']);
    await waitFor('the first attempt', () => lines(join(root, 'trace')).includes('first'));
    await crash(ojd);
    expectSound(true);
    const again = await up();
    await waitFor('the attempt to run again', () => lines(join(root, 'trace')).filter((l) => l === 'first').length === 2);
    writeFileSync(join(root, 'go'), '');
    await waitStatus(again.rpc, root, 'p-a', 'done');
    const trace = lines(join(root, 'trace'));
    const checkpoints = trace.filter((l) => l.startsWith('checkpoint '));
    expect(checkpoints).toHaveLength(1);
    const value = checkpoints[0]!.slice('checkpoint '.length);
    const rollbacks = trace.filter((l) => l.startsWith('rollback'));
    expect(rollbacks.length).toBeGreaterThanOrEqual(1);
    expect(rollbacks.every((l) => l === `rollback ${value}`)).toBe(true);
    expect(trace[trace.length - 1]).toBe('second');
    expectSound(true);
  });

  it('mid-agent session: the restarted daemon adopts the session (no second agent) and the phase completes', async () => {
    stats.scenarios++;
    const root = agentProject();
    const { ojd, rpc } = await up();
    await run(rpc, root, 'go', ['a']);
    const session = await waitFor('the agent to work', async () => (await pipeline(rpc, root, 'p-a')).session ?? null);
    await crash(ojd);
    expectSound(true);
    const again = await up();
    await finishAgent(again.rpc, session);
    await waitStatus(again.rpc, root, 'p-a', 'done');
    expect(sessionsOf('p-a')).toEqual([{ id: session, status: 'exited' }]);
    expectSound(true);
  });

  it('during a migration: the interrupted migration rolls back whole, the next start completes it, nothing is lost', async () => {
    stats.scenarios++;
    mkdirSync(t.stateDir, { recursive: true, mode: 0o700 });
    const old = new BetterSqlite3(db());
    old.pragma('journal_mode = WAL');
    migrate(new QueryRunner(old), createQueryBuilder(), db(), migrations.slice(0, 2));
    old
      .prepare(
        `INSERT INTO pipelines (id, project, runbook, name, definition, status, created_at, updated_at, finished_at, error)
         VALUES ('old-1', '/nowhere', 'r', 'p', '{"name":"p","runbook":"r","phases":[],"inputs":[],"defaults":{},"hooks":{}}', 'failed', 1, 1, 1, 'long ago')`,
      )
      .run();
    for (let i = 0; i < 3; i++) old.prepare(`INSERT INTO events (name, data, time) VALUES ('legacy', '{}', ?)`).run(i);
    old.close();

    const dying = await startOjd(t, { OJ_FAULT: 'during-migration:5' }, false);
    daemons.push(dying);
    expect((await dying.exited).signal).toBe('SIGKILL');
    stats.kills++;
    expect(dying.stderr()).toMatch(/OJ_FAULT: killing myself at during-migration:5/);
    const mid = withDb(db(), (d) => ({
      version: d.pragma('user_version', { simple: true }),
      sessions: d.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'sessions'`).get(),
      holds: d.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'resource_holds'`).get(),
    }));
    expect(mid).toEqual({ version: 4, sessions: { n: 0 }, holds: { n: 1 } });
    expectSound(true);

    const { rpc } = await up();
    expect(withDb(db(), (d) => d.pragma('user_version', { simple: true }))).toBe(LATEST_SCHEMA_VERSION);
    const legacy = (await rpc.call(EventMethods.List, { name: 'legacy' })).events;
    expect(legacy).toHaveLength(3);
    expect((await rpc.call(PipelineMethods.List, {})).pipelines.map((p) => p.id)).toContain('old-1');
    expectSound(true);
  });

  it('between a phase ending and its outcome being written (OJ_FAULT=after-effect:phase): the phase runs again', async () => {
    stats.scenarios++;
    const root = makeProject(t, 'proj', {
      r: COMMAND + `[[pipeline.p.phase]]\nname = "a"\nrun = "echo a >> {project_root}/trace"\n[[pipeline.p.phase]]\nname = "b"\nrun = "echo b >> {project_root}/trace"\n`,
    });
    const { ojd, rpc } = await up({ OJ_FAULT: 'after-effect:phase' });
    await runToFault(rpc, root, 'go', ['x']);
    expect((await ojd.exited).signal).toBe('SIGKILL');
    stats.kills++;
    expect(lines(join(root, 'trace'))).toEqual(['a']);
    // The effect happened, the state does not know it: the run is still "running" on disk.
    expect(withDb(db(), (d) => d.prepare(`SELECT phase, status FROM phase_runs`).all())).toEqual([{ phase: 'a', status: 'running' }]);
    expectSound(true);
    const again = await up();
    await waitStatus(again.rpc, root, 'p-x', 'done');
    expect(lines(join(root, 'trace'))).toEqual(['a', 'a', 'b']); // at-least-once
    expectSound(true);
  });

  it('between starting an agent session and recording it (OJ_FAULT=after-effect:session): the session is adopted, not doubled', async () => {
    stats.scenarios++;
    const root = agentProject();
    const { ojd, rpc } = await up({ OJ_FAULT: 'after-effect:session' });
    await runToFault(rpc, root, 'go', ['a']);
    expect((await ojd.exited).signal).toBe('SIGKILL');
    stats.kills++;
    const [started] = sessionsOf('p-a');
    expect(started?.status).toBe('running');
    expectSound(true);
    const again = await up();
    await waitFor('the session adopted', async () => (await pipeline(again.rpc, root, 'p-a')).session === started!.id);
    await finishAgent(again.rpc, started!.id);
    await waitStatus(again.rpc, root, 'p-a', 'done');
    expect(sessionsOf('p-a')).toEqual([{ id: started!.id, status: 'exited' }]);
    expectSound(true);
  });
});

/** A worker whose handler notices being run twice at once for one item (DOUBLE), then takes a lock briefly. */
const WORKER_RUNBOOK = `
[worker.crunch]
queue = "work"
handler = "pipeline.crunch"
concurrency = 3

[queue.work]

[lock.merge]
heartbeat = "5s"

[pipeline.crunch]
inputs = ["job"]

[[pipeline.crunch.phase]]
name = "work"
run = """
mkdir -p {project_root}/inflight
f={project_root}/inflight/{job.id}
if [ -f "$f" ]; then
  read p st < "$f"
  now=$(cut -d' ' -f3,22 /proc/$p/stat 2>/dev/null)
  if [ -n "$now" ] && [ "\${now%% *}" != Z ] && [ "\${now#* }" = "$st" ]; then echo {job.id} >> {project_root}/DOUBLE; fi
fi
echo "$$ $(cut -d' ' -f22 /proc/$$/stat)" > "$f"
echo start {job.id} >> {project_root}/trace
sleep 0.1
echo end {job.id} >> {project_root}/trace
"""

[[pipeline.crunch.phase]]
name = "merge"
lock = "merge"
run = "sleep 0.02"

[command.go]
args = "<name>"
run = { pipeline = "solo" }

[pipeline.solo]
inputs = ["name"]

[[pipeline.solo.phase]]
name = "merge"
lock = "merge"
run = "echo solo {name} >> {project_root}/solo; sleep 0.03"
`;

/** Every item was completed exactly once (one completed attempt), whatever was re-run. */
function expectCompletedOnce(root: string): void {
  const rows = withDb(db(), (d) =>
    d
      .prepare(
        `SELECT i.id, i.status, SUM(a.outcome = 'completed') AS completed, SUM(a.outcome = 'running') AS running
         FROM queue_items i LEFT JOIN queue_attempts a ON a.item_seq = i.seq WHERE i.project = ? GROUP BY i.seq`,
      )
      .all(root),
  ) as { id: string; status: string; completed: number; running: number }[];
  const wrong = rows.filter((r) => r.status !== 'completed' || r.completed !== 1 || r.running !== 0);
  expect(wrong).toEqual([]);
}

function agentProject(): string {
  const fake = `node ${join(REPO, 'scripts', 'fake-agent.mjs')}`;
  const root = makeProject(t, 'proj', {
    r: COMMAND + `[[pipeline.p.phase]]\nname = "work"\nagent = "worker"\n\n[agent.worker]\ncommand = "${fake}"\nprompt_file = "prompts/worker.md"\n`,
  });
  mkdirSync(join(root, 'prompts'));
  const script = [{ print: 'working' }, { waitInput: 'finish' }, { oj: ['done'] }, { quiet: true }];
  writeFileSync(join(root, 'prompts', 'worker.md'), `Work.\n\`\`\`fake-agent\n${JSON.stringify(script)}\n\`\`\`\n`);
  return root;
}

async function finishAgent(rpc: Rpc, session: string): Promise<void> {
  await waitFor('the session to answer', async () => {
    await rpc.call(SessionMethods.Send, { id: session, text: 'finish' });
    return true;
  });
}

function sessionsOf(pipelineId: string): { id: string; status: string }[] {
  return withDb(db(), (d) => d.prepare(`SELECT id, status FROM sessions WHERE pipeline_id = ? ORDER BY started_at`).all(pipelineId)) as {
    id: string;
    status: string;
  }[];
}

/** Caps on the work the randomized load queues behind the `merge` lock (the rest of its requests are events). */
const MAX_ITEMS = 360;
const MAX_PIPELINES = 120;

describe('kill -9 at random moments under a mixed load', () => {
  it('survives every round: acknowledged requests present, items completed once, locks consistent, database sound', async () => {
    const seed = seedFrom('OJ_CRASH_SEED');
    const rounds = Number(process.env.OJ_CRASH_ROUNDS ?? 12);
    stats.seed = seed;
    const rand = prng(seed);
    const root = makeProject(t, 'proj', { q: WORKER_RUNBOOK });
    const ackedEvents = new Map<number, string>();
    const ackedItems = new Set<string>();
    const ackedPipelines = new Set<string>();
    let seq = 0;

    const debug = process.env.OJ_CRASH_DEBUG ? (...a: unknown[]) => console.log(`[${Date.now() % 100000}]`, ...a) : () => {};
    for (let round = 0; round < rounds; round++) {
      debug('round', round, 'starting');
      const { ojd, rpc } = await up();
      debug('up');
      if (round === 0) await rpc.call(WorkerMethods.Start, { project: root, name: 'crunch' });
      // Whatever earlier rounds left half-done is being reconciled and re-run right now, under the new load.
      const second = await Rpc.connect(t.socket);
      clients.push(second);
      const until = Date.now() + rand.int(300, 1200);
      const load = async (c: Rpc) => {
        while (Date.now() < until && !c.closed) {
          const n = ++seq;
          const op = rand.next();
          try {
            // Items and pipelines queue behind one lock, so their total is capped (the
            // rest become events): the final drain must not grow with how many
            // requests a faster daemon accepts.
            const kind = op < 0.4 ? 'items' : op < 0.75 ? 'event' : op < 0.85 ? 'pipeline' : 'check';
            const capped = (kind === 'items' && ackedItems.size >= MAX_ITEMS) || (kind === 'pipeline' && ackedPipelines.size >= MAX_PIPELINES);
            const what = capped ? 'event' : kind;
            if (what === 'items') {
              const items = Array.from({ length: rand.int(1, 3) }, (_, i) => ({ id: `r${round}-${n}-${i}` }));
              await c.call(QueueMethods.Add, { project: root, queue: 'work', items });
              for (const it of items) ackedItems.add(it.id);
            } else if (what === 'event') {
              const name = `load:${n}`;
              const { event } = await c.call(EventMethods.Emit, { name, project: root, data: { n } });
              ackedEvents.set(event.id, name);
            } else if (what === 'pipeline') {
              const p = await run(c, root, 'go', [`s${n}`]);
              ackedPipelines.add(p.id);
            } else {
              await c.call(MaintenanceMethods.Check, { quick: true });
            }
          } catch {
            // not acknowledged (the connection died with the daemon): no promise was made
          }
        }
      };
      await Promise.all([load(rpc), load(second)]);
      debug('load done', seq);
      await crash(ojd);
      debug('killed');
      // Acknowledged means on disk, whatever moment the kill came at.
      withDb(db(), (d) => {
        const eventRows = d.prepare(`SELECT id, name FROM events WHERE name LIKE 'load:%'`).all() as { id: number; name: string }[];
        const events = new Map(eventRows.map((e) => [e.id, e.name]));
        for (const [id, name] of ackedEvents) expect(events.get(id), `acknowledged event #${id}`).toBe(name);
        const items = new Set((d.prepare(`SELECT id FROM queue_items`).all() as { id: string }[]).map((r) => r.id));
        for (const id of ackedItems) expect(items.has(id), `acknowledged item ${id}`).toBe(true);
        const pipelines = new Set((d.prepare(`SELECT id FROM pipelines`).all() as { id: string }[]).map((r) => r.id));
        for (const id of ackedPipelines) expect(pipelines.has(id), `acknowledged pipeline ${id}`).toBe(true);
      });
      expectSound(false);
      expect(lines(join(root, 'DOUBLE')), `round ${round} (seed ${seed})`).toEqual([]);
      stats.rounds++;
      debug('checked');
    }
    stats.acknowledged = ackedEvents.size + ackedItems.size + ackedPipelines.size;

    // The last restart drains everything.
    const { rpc } = await up();
    await waitFor(
      'every item completed and every pipeline done',
      async () => {
        const items = (await rpc.call(QueueMethods.List, { project: root, queue: 'work', limit: 100000 })).items;
        const { pipelines } = await rpc.call(PipelineMethods.List, { project: root, active: true });
        return items.length >= ackedItems.size && items.every((i) => i.status === 'completed') && pipelines.length === 0;
      },
      90_000,
      100,
    );
    const all = (await rpc.call(PipelineMethods.List, { project: root, limit: 100000 })).pipelines;
    const notDone = all.filter((p) => p.status !== 'done');
    expect(notDone, `seed ${seed}`).toEqual([]);
    expect(lines(join(root, 'DOUBLE')), `seed ${seed}`).toEqual([]);
    expectCompletedOnce(root);
    expect(withDb(db(), (d) => d.prepare('SELECT COUNT(*) AS n FROM resource_holds').get())).toEqual({ n: 0 });
    expectSound(true);
  }, 240_000);
});
