/**
 * Keeping the daemon healthy, end to end: `oj daemon check|backup|restore|prune`
 * with the real oj, retention pruning on its timer, and a daemon stop that
 * leaves no child process behind.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rpc, alive, killHard, startOjd, withDb, type Ojd } from './helpers/crash-kit.js';
import { REPO, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { CommandMethods, DaemonMethods, EventMethods, PipelineMethods, SessionMethods } from '@oj/protocol';

let t: TestEnv;
let daemons: Ojd[] = [];
beforeEach(() => {
  t = new TestEnv();
  daemons = [];
});
afterEach(async () => {
  await t.cleanup();
  for (const d of daemons) await killHard(d);
});

async function up(env: NodeJS.ProcessEnv = {}): Promise<{ ojd: Ojd; rpc: Rpc }> {
  const ojd = await startOjd(t, env);
  daemons.push(ojd);
  return { ojd, rpc: await Rpc.connect(t.socket) };
}

describe('oj daemon check, backup, restore', { timeout: 60_000 }, () => {
  it('backs up a running daemon, checks with and without it, refuses to restore while it runs, restores after stop', async () => {
    const { rpc } = await up();
    for (let i = 0; i < 50; i++) await rpc.call(EventMethods.Emit, { name: 'before:backup', data: { i } });
    // Writes go on during the backup.
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) await rpc.call(EventMethods.Emit, { name: 'during:backup', data: { n: n++ } });
    })();
    const backup = join(t.root, 'oj-backup.db');
    const b = await t.oj(['daemon', 'backup', backup]);
    writing = false;
    await writer;
    expect(b.stderr).toBe('');
    expect(b.stdout).toMatch(/^backed up to .*oj-backup\.db \(.* KiB, schema \d+, verified\) from the running daemon in/);
    expect((await t.oj(['daemon', 'backup', backup])).stderr).toMatch(/already exists\nhint: choose another file, or pass --force/);
    for (let i = 0; i < 5; i++) await rpc.call(EventMethods.Emit, { name: 'after:backup' });

    const live = await t.oj(['daemon', 'check']);
    expect(live.exitCode).toBe(0);
    expect(live.stdout).toMatch(/checked through the running daemon/);
    expect(live.stdout).toMatch(/✓ sqlite\.integrity_check/);
    expect(live.stdout).toMatch(/\nok\n$/);
    const refused = await t.oj(['daemon', 'restore', backup]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/ojd is running: stop it first/);
    rpc.close();

    expect((await t.oj(['daemon', 'stop'])).exitCode).toBe(0);
    const offline = await t.oj(['daemon', 'check', '--json']);
    expect(offline.exitCode).toBe(0);
    expect(JSON.parse(offline.stdout)).toMatchObject({ ok: true, via: 'file', problems: [] });
    const restored = await t.oj(['daemon', 'restore', backup]);
    expect(restored.exitCode).toBe(0);
    expect(restored.stdout).toMatch(/^restored .*oj\.db from .*oj-backup\.db \(schema \d+\)\nthe database it replaced is kept at .*oj\.db\.before-restore-/);

    const again = await up();
    const names = async (name: string) => (await again.rpc.call(EventMethods.List, { name, limit: 10_000 })).events.length;
    expect(await names('before:backup')).toBe(50);
    expect(await names('after:backup')).toBe(0);
    // The events written during the backup up to its snapshot are there, in order, without a gap.
    const during = (await again.rpc.call(EventMethods.List, { name: 'during:backup', limit: 10_000 })).events;
    expect(during.map((e) => e.data.n)).toEqual(during.map((_, i) => i));
    again.rpc.close();
  });

  it('an offline backup is private (0600) under a umask of 022, like the one the daemon makes, even replacing a readable file', async () => {
    const { rpc } = await up();
    await rpc.call(EventMethods.Emit, { name: 'secret:stuff' });
    rpc.close();
    expect((await t.oj(['daemon', 'stop'])).exitCode).toBe(0);
    const backup = join(t.root, 'offline-backup.db');
    const replaced = join(t.root, 'replaced-backup.db');
    writeFileSync(replaced, 'old', { mode: 0o644 });
    const before = process.umask(0o022);
    try {
      const b = await t.oj(['daemon', 'backup', backup]);
      expect(b.stderr).toBe('');
      expect(b.stdout).toMatch(/^backed up to .*offline-backup\.db .*verified/);
      expect((await t.oj(['daemon', 'backup', replaced, '--force'])).exitCode).toBe(0);
    } finally {
      process.umask(before);
    }
    expect((statSync(backup).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(replaced).mode & 0o777).toString(8)).toBe('600');
    expect(readdirSync(t.root).filter((f) => f.includes('.partial-'))).toEqual([]);
  });

  it('reports a broken invariant and exits 1', async () => {
    const { rpc } = await up();
    await rpc.call(EventMethods.Emit, { name: 'x' });
    rpc.close();
    expect((await t.oj(['daemon', 'stop'])).exitCode).toBe(0);
    // Simulate damage: a pipeline failed without a reason.
    const BetterSqlite3 = (await import('../packages/daemon/src/storage/sqlite-driver.js')).Sqlite;
    const db = new BetterSqlite3(join(t.stateDir, 'oj.db'));
    db.prepare(
      `INSERT INTO pipelines (id, handle, project, runbook, name, status, created_at, updated_at) VALUES ('broken', 'broken', '/p', 'r', 'p', 'failed', 1, 1)`,
    ).run();
    db.prepare(`INSERT INTO pipeline_definitions (pipeline_id, definition) VALUES ('broken', '{}')`).run();
    db.close();
    const r = await t.oj(['daemon', 'check']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/✗ pipelines\.reason/);
    expect(r.stdout).toMatch(/error\s+pipeline broken is failed without a reason/);
    expect(r.stdout).toMatch(/1 problem found\nhint: restore a backup/);
  });
});

describe('retention', { timeout: 60_000 }, () => {
  it('prunes events beyond the cap and transcripts of ended sessions on its timer; ids keep growing', async () => {
    const fake = `node ${join(REPO, 'scripts', 'fake-agent.mjs')}`;
    const root = makeProject(t, 'proj', {
      r: `[command.go]\nargs = "<name>"\nrun = { pipeline = "p" }\n\n[pipeline.p]\ninputs = ["name"]\n[[pipeline.p.phase]]\nname = "work"\nagent = "a"\n\n[agent.a]\ncommand = "${fake}"\nprompt = "hello"\n`,
    });
    const { rpc } = await up({ OJ_RETENTION_EVENTS_MAX: '40', OJ_RETENTION_TRANSCRIPTS: '1s', OJ_RETENTION_EVERY: '300ms' });
    await rpc.call(CommandMethods.Run, { project: root, command: 'go', args: ['a'] });
    await waitFor('the agent to finish', async () => (await rpc.call(PipelineMethods.Show, { project: root, id: 'p-a' })).pipeline.status === 'done', 20_000);
    const [session] = (await rpc.call(SessionMethods.List, { all: true })).sessions;
    expect(existsSync(join(session!.dir, 'transcript.log'))).toBe(true);
    // The host lingers after its command ended (for a last capture); end it as its linger period would.
    process.kill(Number(readFileSync(join(session!.dir, 'host.pid'), 'utf8')), 'SIGTERM');
    let last = 0;
    for (let i = 0; i < 120; i++) last = (await rpc.call(EventMethods.Emit, { name: 'fill', data: { i } })).event.id;
    await waitFor('events pruned to the cap', async () => (await rpc.call(DaemonMethods.Status)).counts.events! <= 45, 10_000);
    await waitFor('the ended session pruned', () => !existsSync(session!.dir), 10_000);
    // The session is still listed; only its files went.
    const after = (await rpc.call(SessionMethods.List, { all: true })).sessions;
    expect(after.map((s) => s.id)).toContain(session!.id);
    expect((await rpc.call(EventMethods.Emit, { name: 'later' })).event.id).toBeGreaterThan(last);
    rpc.close();
    const prune = await t.oj(['daemon', 'prune', '--dry-run']);
    expect(prune.exitCode).toBe(0);
    expect(prune.stdout).toMatch(/^would prune \d+ events, 0 session directories, 0 pipeline log directories/);
    expect(prune.stdout).toMatch(/retention: events 30d \(at most 40\), transcripts 1s, logs 30d; every 300ms; from defaults, environment/);
    expect(readFileSync(join(t.stateDir, 'ojd.log'), 'utf8')).toMatch(/pruned by retention/);
  });

  it('refuses to start with a bad <state>/config.toml, saying which key', async () => {
    mkdirSync(t.stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(t.stateDir, 'config.toml'), '[retention]\nevents = "forever"\n');
    const r = await t.oj(['status']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/config\.toml \[retention\] events: "forever" is not a duration/);
  });
});

describe('ojd.out', { timeout: 60_000 }, () => {
  it('a daemon started by oj caps an ojd.out grown past 8 MiB: the newest 8 MiB are kept once as ojd.out.1, private', async () => {
    mkdirSync(t.stateDir, { recursive: true, mode: 0o700 });
    const out = join(t.stateDir, 'ojd.out');
    writeFileSync(out, `${'(node:1) TimeoutOverflowWarning: 3000000000 does not fit into a 32-bit signed integer.\n'.repeat(120_000)}the newest line\n`);
    expect(statSync(out).size).toBeGreaterThan(8 * 1024 * 1024);
    writeFileSync(`${out}.1`, 'an older copy');
    expect((await t.oj(['status'])).exitCode).toBe(0);
    await waitFor('ojd.out capped', () => statSync(out).size < 1024 * 1024, 20_000);
    const old = readFileSync(`${out}.1`, 'utf8');
    expect(old.length).toBe(8 * 1024 * 1024);
    expect(old.endsWith('the newest line\n')).toBe(true);
    expect(statSync(`${out}.1`).mode & 0o777).toBe(0o600);
    expect(readdirSync(t.stateDir).filter((f) => f.startsWith('ojd.out')).sort()).toEqual(['ojd.out', 'ojd.out.1']);
  });
});

describe('a daemon stop leaves no child behind', { timeout: 60_000 }, () => {
  it('ends running phases, their background children and hooks (TERM, then KILL for those ignoring it)', async () => {
    const root = makeProject(t, 'proj', {
      r: `
[command.go]
args = "<name>"
run = { pipeline = "p" }

[pipeline.p]
inputs = ["name"]
[[pipeline.p.phase]]
name = "stubborn"
run = '''
trap '' TERM
sleep 300 &
echo "$$ $!" >> {project_root}/pids
while true; do sleep 0.1; done
'''

[pipeline.p.events]
on_phase = '''trap '' TERM; echo "$$" >> {project_root}/hook-pids; sleep 300'''
`,
    });
    const { ojd, rpc } = await up();
    await rpc.call(CommandMethods.Run, { project: root, command: 'go', args: ['a'] });
    await rpc.call(CommandMethods.Run, { project: root, command: 'go', args: ['b'] });
    const pids = await waitFor('both phases and hooks running', () => {
      const p = existsSync(join(root, 'pids')) ? readFileSync(join(root, 'pids'), 'utf8').split(/\s+/).filter(Boolean).map(Number) : [];
      const h = existsSync(join(root, 'hook-pids')) ? readFileSync(join(root, 'hook-pids'), 'utf8').split(/\s+/).filter(Boolean).map(Number) : [];
      return p.length >= 4 && h.length >= 2 ? [...p, ...h] : null;
    });
    expect(pids.every(alive)).toBe(true);
    // A child can write its pid before its start has reached ojd: wait for ojd to count them all.
    await waitFor('ojd to count the four shells', async () => {
      const status = await rpc.call(DaemonMethods.Status);
      return (status.counts['shells.running'] ?? 0) >= 4;
    });
    rpc.close();
    const stop = await t.oj(['daemon', 'stop']);
    expect(stop.exitCode).toBe(0);
    expect((await ojd.exited).code).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    expect(readFileSync(join(t.stateDir, 'ojd.log'), 'utf8')).toMatch(/ended child processes at stop/);
    // The phases are re-run by the next start (at-least-once); their state was left as it was.
    const rows = withDb(join(t.stateDir, 'oj.db'), (d) => d.prepare(`SELECT status FROM phase_runs`).all());
    expect(rows).toEqual([{ status: 'running' }, { status: 'running' }]);
  });
});
