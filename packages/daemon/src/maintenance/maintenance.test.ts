/** Integrity check, backup/restore, retention and the daemon config, on real temp databases. */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sqlite as BetterSqlite3 } from '../storage/sqlite-driver.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, migrations, LATEST_SCHEMA_VERSION } from '../storage/migrations.js';
import { QueryRunner, createQueryBuilder } from '../storage/query-runner.js';
import { Storage } from '../storage/storage.js';
import { backupDatabase, backupDatabaseFile, checkDatabaseFile, restoreDatabaseFile } from './backup.js';
import { loadDaemonConfig } from './daemon-config.js';
import { checkIntegrity } from './integrity.js';
import { pruneOnce } from './retention.js';

let dir: string;
let storage: Storage | null;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oj-maint-'));
  storage = null;
});
afterEach(() => {
  storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(now = () => Date.now()): Storage {
  storage = Storage.open(join(dir, 'oj.db'), now);
  return storage;
}

function pipeline(s: Storage, id: string, status: string, extra: Record<string, unknown> = {}): void {
  const row = {
    id,
    handle: id,
    project: '/p',
    runbook: 'r',
    name: 'p',
    status,
    phase: 'work',
    run: 1,
    waiting_for: null,
    error: status === 'failed' ? 'boom' : null,
    created_at: 1,
    updated_at: 1,
    finished_at: ['done', 'failed', 'cancelled'].includes(status) ? 1 : null,
    ...extra,
  };
  const cols = Object.keys(row);
  s.runner.sqlite.prepare(`INSERT INTO pipelines (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`).run(...Object.values(row));
  s.runner.sqlite.prepare(`INSERT INTO pipeline_definitions (pipeline_id, definition) VALUES (?, '{}')`).run(id);
}

function errorsOf(s: Storage): string[] {
  return checkIntegrity(s.runner.sqlite).problems.map((p) => `${p.severity} ${p.check}: ${p.message}`);
}

describe('checkIntegrity', () => {
  it('passes a fresh database and reports every check', () => {
    const s = open();
    const r = checkIntegrity(s.runner.sqlite);
    expect(r.ok).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(r.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['sqlite.integrity_check', 'sqlite.foreign_key_check', 'holds.pipeline', 'queue_items.taken', 'pipelines.reason']),
    );
    expect(r.checks.every((c) => c.skipped === null)).toBe(true);
  });

  it('finds broken invariants: stuck pipelines, orphaned holds, items taken by ended pipelines, double runs', () => {
    const s = open();
    pipeline(s, 'w1', 'waiting');
    pipeline(s, 'f1', 'failed', { error: null });
    pipeline(s, 'd1', 'done');
    pipeline(s, 'r1', 'running', { phase: 'merge' });
    const sql = s.runner.sqlite;
    sql.prepare(`INSERT INTO phase_runs (pipeline_id, run, phase, status, started_at) VALUES ('d1', 1, 'work', 'running', 1)`).run();
    sql.prepare(`INSERT INTO phase_runs (pipeline_id, run, phase, status, started_at) VALUES ('r1', 1, 'merge', 'running', 1), ('r1', 2, 'merge', 'running', 1)`).run();
    const hold = sql.prepare(
      `INSERT INTO resource_holds (kind, project, resource, holder, holder_kind, phase, acquired_at, heartbeat_at, heartbeat_ms) VALUES (?, '/p', ?, ?, ?, ?, 1, 1, 1000)`,
    );
    hold.run('lock', 'main', 'd1', 'pipeline', 'work');
    hold.run('lock', 'main', 'someone', 'external', null);
    hold.run('lock', 'other', 'r1', 'pipeline', 'work'); // r1 is at merge now
    hold.run('semaphore', 'slots', 'r1', 'pipeline', 'merge'); // fine
    sql.prepare(
      `INSERT INTO queue_items (project, queue, id, data, status, origin, attempts, failures, created_at, updated_at, taken_by, worker) VALUES
       ('/p', 'q', 'a', '{}', 'taken', 'added', 1, 0, 1, 1, 'd1', 'w'),
       ('/p', 'q', 'b', '{}', 'taken', 'added', 1, 0, 1, 1, 'r1', 'w'),
       ('/p', 'q', 'c', '{}', 'taken', 'added', 1, 0, 1, 1, NULL, NULL)`,
    ).run();
    const problems = errorsOf(s);
    expect(problems).toEqual(
      expect.arrayContaining([
        'error pipelines.reason: pipeline w1 is waiting without a reason',
        'error pipelines.reason: pipeline f1 is failed without a reason',
        'error phase_runs.single: pipeline r1 has 2 phase runs marked running',
        'error phase_runs.ended: phase work (run 1) of d1 is running but the pipeline is done',
        'error locks.single: lock main (/p) has 2 holders',
        'warning holds.pipeline: lock main is held by pipeline d1 for phase work, but the pipeline is done at work',
        'warning holds.pipeline: lock other is held by pipeline r1 for phase work, but the pipeline is running at merge',
        'error queue_items.taken: item q/a is still taken by pipeline d1, which is done',
        'error queue_items.taken: item q/c is taken by nobody',
      ]),
    );
    expect(problems).toHaveLength(9);
    expect(checkIntegrity(sql).ok).toBe(false);
  });

  it("finds a pipeline whose key does not go with its id in its project", () => {
    const s = open();
    pipeline(s, 'build-auth', 'done');
    pipeline(s, 'build-auth.two-3f9a1c2b', 'done', { project: '/two', handle: 'build-auth' });
    pipeline(s, 'fix.two-3f9a1c2b', 'done', { project: '/two', handle: 'build-auth-2' });
    expect(errorsOf(s)).toEqual(['error pipelines.ids: pipeline fix.two-3f9a1c2b has the id "build-auth-2", which does not go with its key']);
  });

  it('finds a pipeline without its definition (kept in a table of its own since schema 19)', () => {
    const s = open();
    pipeline(s, 'kept', 'done');
    pipeline(s, 'lost', 'done');
    s.runner.sqlite.prepare(`DELETE FROM pipeline_definitions WHERE pipeline_id = 'lost'`).run();
    expect(errorsOf(s)).toEqual(['error pipelines.definition: pipeline lost has no definition']);
  });

  it('checks an older schema for what it has and skips the rest', () => {
    const path = join(dir, 'old.db');
    const sqlite = new BetterSqlite3(path);
    migrate(new QueryRunner(sqlite), createQueryBuilder(), path, migrations.slice(0, 2));
    const r = checkIntegrity(sqlite);
    sqlite.close();
    expect(r.ok).toBe(true);
    expect(r.schemaVersion).toBe(2);
    expect(r.checks.find((c) => c.name === 'holds.pipeline')?.skipped).toMatch(/table resource_holds/);
    expect(r.checks.find((c) => c.name === 'pipelines.reason')?.skipped).toBeNull();
  });

  it('reports a corrupted file instead of throwing', () => {
    const s = open();
    for (let i = 0; i < 300; i++) s.events.append({ name: 'filler', data: { i, pad: 'x'.repeat(200) } });
    s.close();
    storage = null;
    const path = join(dir, 'oj.db');
    // Scribble over a page in the middle of the table's b-tree.
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(512, 0x5a), 0, 512, 4096 * 5 + 100);
    closeSync(fd);
    const r = checkDatabaseFile(path);
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.check === 'sqlite.integrity_check')).toBe(true);
  });
});

describe('backup and restore', () => {
  it('backs up while writes go on, verifies the copy, refuses to overwrite, restores it', async () => {
    const s = open();
    for (let i = 0; i < 500; i++) s.events.append({ name: 'before', data: { i } });
    const target = join(dir, 'copy.db');
    const result = await backupDatabase(s.runner.sqlite, target, { livePath: join(dir, 'oj.db') });
    expect(result).toMatchObject({ path: target, verified: true, schemaVersion: LATEST_SCHEMA_VERSION });
    expect(statSync(target).size).toBe(result.bytes);
    expect(existsSync(`${target}-wal`)).toBe(false);
    await expect(backupDatabase(s.runner.sqlite, target)).rejects.toThrow(/already exists/);
    await expect(backupDatabase(s.runner.sqlite, join(dir, 'oj.db'), { livePath: join(dir, 'oj.db'), force: true })).rejects.toThrow(/live database/);
    s.events.append({ name: 'after' });
    s.close();
    storage = null;

    const restored = await restoreDatabaseFile(join(dir, 'oj.db'), target);
    expect(restored.previous).toMatch(/oj\.db\.before-restore-/);
    expect(existsSync(restored.previous!)).toBe(true);
    const again = open();
    expect(again.events.count()).toBe(500);
    expect(again.events.list({ name: 'after' })).toEqual([]);
  });

  it('refuses to restore a database written by a newer oj, or a file that is not an oj database', async () => {
    const newer = join(dir, 'newer.db');
    const db = new BetterSqlite3(newer);
    db.exec('CREATE TABLE events (id INTEGER PRIMARY KEY)');
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    await expect(restoreDatabaseFile(join(dir, 'oj.db'), newer)).rejects.toThrow(/newer oj/);
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'not a database at all, just some text that is long enough to look like a header');
    await expect(restoreDatabaseFile(join(dir, 'oj.db'), junk)).rejects.toThrow(/not a readable SQLite database/);
    expect(existsSync(join(dir, 'oj.db'))).toBe(false);
  });

  it('backs up a database file without a daemon (read-only source)', async () => {
    const s = open();
    s.events.append({ name: 'x' });
    s.close();
    storage = null;
    const r = await backupDatabaseFile(join(dir, 'oj.db'), join(dir, 'b.db'));
    expect(r.verified).toBe(true);
  });
});

describe('retention', () => {
  const settings = { events: null, eventsMax: null, transcripts: null, logs: null, every: null, sources: ['test'] };
  const retention = (over: Partial<{ eventsMs: number; eventsMax: number; transcriptsMs: number; logsMs: number }>) => ({
    eventsMs: null,
    eventsMax: null,
    transcriptsMs: null,
    logsMs: null,
    everyMs: null,
    settings,
    ...over,
  });

  it('prunes old events and caps their number, keeping those of pipelines under way; ids keep growing', () => {
    let clock = 1_000_000;
    const s = open(() => clock);
    pipeline(s, 'live', 'running');
    for (let i = 0; i < 50; i++) s.events.append({ name: 'old', subject: i < 5 ? 'live' : 'x' });
    clock += 10_000;
    for (let i = 0; i < 50; i++) s.events.append({ name: 'new' });
    const paths = { sessionsDir: join(dir, 'sessions'), logsDir: join(dir, 'logs') };
    const dry = pruneOnce(s, paths, retention({ eventsMs: 5_000 }), clock, true);
    expect(dry.events).toBe(45);
    expect(s.events.count()).toBe(100);
    expect(pruneOnce(s, paths, retention({ eventsMs: 5_000 }), clock).events).toBe(45);
    expect(s.events.list({ name: 'old', limit: 100 }).every((e) => e.subject === 'live')).toBe(true);
    const last = s.events.lastId();
    expect(pruneOnce(s, paths, retention({ eventsMax: 20 }), clock).events).toBe(30);
    expect(s.events.count()).toBe(25); // 20 newest + the 5 of the live pipeline
    expect(s.events.append({ name: 'later' }).id).toBe(last + 1);
  });

  it('removes session directories of sessions ended long ago and logs of pipelines finished long ago', () => {
    const now = 10_000_000;
    const s = open(() => now);
    const sessionsDir = join(dir, 'sessions');
    const logsDir = join(dir, 'logs');
    const session = (id: string, status: string, endedAt: number | null) => {
      mkdirSync(join(sessionsDir, id), { recursive: true });
      writeFileSync(join(sessionsDir, id, 'transcript.log'), 'x'.repeat(1000));
      s.runner.sqlite
        .prepare(
          `INSERT INTO sessions (id, project, pipeline_id, phase, run, agent, status, exit_code, cwd, dir, heartbeat, restarts, started_at, ended_at)
           VALUES (?, '/p', NULL, NULL, NULL, 'a', ?, 0, '/p', ?, 'output', 0, 1, ?)`,
        )
        .run(id, status, join(sessionsDir, id), endedAt);
    };
    session('old', 'exited', now - 100_000);
    session('recent', 'exited', now - 10);
    session('running', 'running', null);
    pipeline(s, 'p-old', 'done', { finished_at: now - 100_000 });
    pipeline(s, 'p-new', 'done', { finished_at: now - 10 });
    for (const d of ['p-old', 'p-new', 'queue']) {
      mkdirSync(join(logsDir, d), { recursive: true });
      writeFileSync(join(logsDir, d, '001-work.log'), 'log');
    }
    const r = pruneOnce(s, { sessionsDir, logsDir }, retention({ transcriptsMs: 50_000, logsMs: 50_000 }), now);
    expect(r).toMatchObject({ sessions: 1, logs: 1, bytes: 1003 });
    expect(existsSync(join(sessionsDir, 'old'))).toBe(false);
    expect(existsSync(join(sessionsDir, 'recent'))).toBe(true);
    expect(existsSync(join(sessionsDir, 'running'))).toBe(true);
    expect(existsSync(join(logsDir, 'p-old'))).toBe(false);
    expect(existsSync(join(logsDir, 'p-new'))).toBe(true);
    expect(existsSync(join(logsDir, 'queue'))).toBe(true);
  });
});

describe('daemon config', () => {
  it('has defaults, reads <state>/config.toml, and lets the environment override it', () => {
    expect(loadDaemonConfig(dir, {}).retention.settings).toMatchObject({ events: '30d', eventsMax: 1_000_000, transcripts: '30d', every: '1h' });
    writeFileSync(join(dir, 'config.toml'), '[retention]\nevents = "7d"\nevents_max = "off"\ntranscripts = "off"\n');
    const r = loadDaemonConfig(dir, { OJ_RETENTION_EVERY: '10m' }).retention;
    expect(r).toMatchObject({ eventsMs: 7 * 86_400_000, eventsMax: null, transcriptsMs: null, everyMs: 600_000 });
    expect(r.settings.sources).toEqual(['defaults', join(dir, 'config.toml'), 'environment']);
  });

  it('refuses bad settings with the file and key', () => {
    writeFileSync(join(dir, 'config.toml'), '[retention]\nevent = "7d"\n');
    expect(() => loadDaemonConfig(dir, {})).toThrow(/\[retention\] has no key "event" \(did you mean "events"\?\)/);
    writeFileSync(join(dir, 'config.toml'), '[retention]\nevents = "7 days"\n');
    expect(() => loadDaemonConfig(dir, {})).toThrow(/config\.toml \[retention\] events: "7 days" is not a duration/);
    writeFileSync(join(dir, 'config.toml'), '');
    expect(() => loadDaemonConfig(dir, { OJ_RETENTION_EVENTS_MAX: '-3' })).toThrow(/OJ_RETENTION_EVENTS_MAX: expected a whole number/);
  });

  it('[connections] idle_timeout: default 2m, file or OJ_IDLE_TIMEOUT, at least 1s', () => {
    expect(loadDaemonConfig(dir, {}).connections.idleMs).toBe(120_000);
    writeFileSync(join(dir, 'config.toml'), '[connections]\nidle_timeout = "30s"\n');
    expect(loadDaemonConfig(dir, {}).connections.idleMs).toBe(30_000);
    expect(loadDaemonConfig(dir, { OJ_IDLE_TIMEOUT: '5s' }).connections.idleMs).toBe(5_000);
    expect(() => loadDaemonConfig(dir, { OJ_IDLE_TIMEOUT: '10ms' })).toThrow(/OJ_IDLE_TIMEOUT: must be at least 1s/);
    writeFileSync(join(dir, 'config.toml'), '[connections]\nidle = "30s"\n');
    expect(() => loadDaemonConfig(dir, {})).toThrow(/\[connections\] has no key "idle"; keys: idle_timeout, follow_stall/);
  });

  it('[connections] follow_stall: default 1m, file or OJ_FOLLOW_STALL, at least 1s', () => {
    expect(loadDaemonConfig(dir, {}).connections.followStallMs).toBe(60_000);
    writeFileSync(join(dir, 'config.toml'), '[connections]\nfollow_stall = "5m"\n');
    expect(loadDaemonConfig(dir, {}).connections).toEqual({ idleMs: 120_000, followStallMs: 300_000 });
    expect(loadDaemonConfig(dir, { OJ_FOLLOW_STALL: '2s' }).connections.followStallMs).toBe(2_000);
    expect(() => loadDaemonConfig(dir, { OJ_FOLLOW_STALL: '10ms' })).toThrow(/OJ_FOLLOW_STALL: must be at least 1s/);
  });
});
