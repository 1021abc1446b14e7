/**
 * `oj daemon check`: is the database sound, and do oj's own invariants hold?
 *
 *   - SQLite: `PRAGMA integrity_check` (or `quick_check`) and `foreign_key_check`;
 *   - oj: what one transaction per state change promises can never be seen
 *     broken, whether the daemon runs or was killed at any instant (a lock
 *     held by a pipeline that has ended or moved on, an item taken by a
 *     pipeline that has ended, a waiting pipeline with no reason...).
 *
 * Only reads, in one read transaction (a consistent snapshot, also while a
 * daemon writes). Each invariant runs only where its tables and columns exist,
 * so an older schema (a backup, a database before its migration) is checked
 * for what it has.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { IntegrityCheckInfo, IntegrityProblem, IntegrityReport } from '@oj/protocol';
import { LATEST_SCHEMA_VERSION } from '../storage/migrations.js';
import { PIPELINE_STATUSES_SQL, TERMINAL_SQL as TERMINAL } from './status-sql.js';
/** At most this many problems are listed per check (the count is exact). */
const MAX_LISTED = 50;

interface Invariant {
  name: string;
  summary: string;
  /** table -> columns it reads; the check is skipped when one is missing. */
  needs: Record<string, string[]>;
  severity?: 'error' | 'warning';
  /** Rows that break it, each turned into one message. */
  query: string;
  describe(row: Record<string, unknown>): string;
}

const INVARIANTS: Invariant[] = [
  {
    name: 'pipelines.reason',
    summary: 'a waiting, escalated or failed pipeline says why',
    needs: { pipelines: ['id', 'status', 'waiting_for', 'error'] },
    query: `SELECT id, status FROM pipelines
            WHERE (status = 'waiting' AND waiting_for IS NULL)
               OR (status = 'escalated' AND waiting_for IS NULL AND error IS NULL)
               OR (status = 'failed' AND (error IS NULL OR error = ''))`,
    describe: (r) => `pipeline ${String(r.id)} is ${String(r.status)} without a reason`,
  },
  {
    name: 'pipelines.status',
    summary: 'every pipeline is in a known state',
    needs: { pipelines: ['id', 'status'] },
    query: `SELECT id, status FROM pipelines
            WHERE status NOT IN ${PIPELINE_STATUSES_SQL}`,
    describe: (r) => `pipeline ${String(r.id)} has unknown status "${String(r.status)}"`,
  },
  {
    name: 'pipelines.ids',
    summary: "a pipeline has an id in its project, and its key is that id or the id, a dot and a project tag",
    needs: { pipelines: ['id', 'handle'] },
    query: `SELECT id, handle FROM pipelines
            WHERE handle = '' OR (id <> handle AND substr(id, 1, length(handle) + 1) <> handle || '.')`,
    describe: (r) => `pipeline ${String(r.id)} has the id "${String(r.handle)}", which does not go with its key`,
  },
  {
    name: 'pipelines.definition',
    summary: 'every pipeline has its definition',
    needs: { pipelines: ['id'], pipeline_definitions: ['pipeline_id'] },
    query: `SELECT id FROM pipelines WHERE id NOT IN (SELECT pipeline_id FROM pipeline_definitions)`,
    describe: (r) => `pipeline ${String(r.id)} has no definition`,
  },
  {
    name: 'phase_runs.single',
    summary: 'at most one running phase run per pipeline',
    needs: { phase_runs: ['pipeline_id', 'status'] },
    query: `SELECT pipeline_id, COUNT(*) AS n FROM phase_runs WHERE status = 'running' GROUP BY pipeline_id HAVING n > 1`,
    describe: (r) => `pipeline ${String(r.pipeline_id)} has ${String(r.n)} phase runs marked running`,
  },
  {
    name: 'phase_runs.ended',
    summary: 'no phase run still running in a pipeline that has ended',
    needs: { phase_runs: ['pipeline_id', 'status', 'phase', 'run'], pipelines: ['id', 'status'] },
    query: `SELECT r.pipeline_id, r.phase, r.run, p.status FROM phase_runs r JOIN pipelines p ON p.id = r.pipeline_id
            WHERE r.status = 'running' AND p.status IN ${TERMINAL}`,
    describe: (r) => `phase ${String(r.phase)} (run ${String(r.run)}) of ${String(r.pipeline_id)} is running but the pipeline is ${String(r.status)}`,
  },
  {
    name: 'locks.single',
    summary: 'a lock has at most one holder',
    needs: { resource_holds: ['kind', 'project', 'resource'] },
    query: `SELECT project, resource, COUNT(*) AS n FROM resource_holds WHERE kind = 'lock' GROUP BY project, resource HAVING n > 1`,
    describe: (r) => `lock ${String(r.resource)} (${String(r.project)}) has ${String(r.n)} holders`,
  },
  {
    name: 'holds.pipeline',
    summary: 'a lock or semaphore held by a pipeline is held by one still in the phase that took it',
    // A phase releases after its process group has ended, so a cancel leaves a short window; a
    // daemon killed in it leaves the hold on disk, and the next start releases it (reconcile).
    severity: 'warning',
    needs: { resource_holds: ['kind', 'resource', 'holder', 'holder_kind', 'phase'], pipelines: ['id', 'status', 'phase'] },
    query: `SELECT h.kind, h.resource, h.holder, h.phase AS held_in, p.status, p.phase FROM resource_holds h
            LEFT JOIN pipelines p ON p.id = h.holder
            WHERE h.holder_kind = 'pipeline'
              AND (p.id IS NULL OR p.status IN ${TERMINAL} OR (h.phase IS NOT NULL AND p.phase IS NOT h.phase))`,
    describe: (r) =>
      r.status === null
        ? `${String(r.kind)} ${String(r.resource)} is held by pipeline ${String(r.holder)}, which does not exist`
        : `${String(r.kind)} ${String(r.resource)} is held by pipeline ${String(r.holder)} for phase ${String(r.held_in)}, ` +
          `but the pipeline is ${String(r.status)} at ${String(r.phase)}`,
  },
  {
    name: 'waiters.pipeline',
    summary: 'a pipeline waiting for a lock or semaphore is still under way',
    severity: 'warning',
    needs: { resource_waiters: ['kind', 'resource', 'holder', 'holder_kind'], pipelines: ['id', 'status'] },
    query: `SELECT w.kind, w.resource, w.holder, p.status FROM resource_waiters w LEFT JOIN pipelines p ON p.id = w.holder
            WHERE w.holder_kind = 'pipeline' AND (p.id IS NULL OR p.status IN ${TERMINAL})`,
    describe: (r) =>
      `pipeline ${String(r.holder)} waits for ${String(r.kind)} ${String(r.resource)} but ${r.status === null ? 'does not exist' : `is ${String(r.status)}`}`,
  },
  {
    name: 'queue_items.live',
    summary: 'one live (pending, taken or dead) row per queue item id',
    needs: { queue_items: ['project', 'queue', 'id', 'status'] },
    query: `SELECT project, queue, id, COUNT(*) AS n FROM queue_items WHERE status IN ('pending', 'taken', 'dead')
            GROUP BY project, queue, id HAVING n > 1`,
    describe: (r) => `item ${String(r.queue)}/${String(r.id)} has ${String(r.n)} live rows`,
  },
  {
    name: 'queue_items.taken',
    summary: 'a taken item has a holder, and a pipeline holding it is still under way',
    needs: { queue_items: ['queue', 'id', 'status', 'taken_by', 'worker'], pipelines: ['id', 'status'] },
    query: `SELECT i.queue, i.id, i.taken_by, p.status FROM queue_items i LEFT JOIN pipelines p ON p.id = i.taken_by
            WHERE i.status = 'taken'
              AND (i.taken_by IS NULL OR (i.worker IS NOT NULL AND (p.id IS NULL OR p.status IN ${TERMINAL})))`,
    describe: (r) =>
      r.taken_by === null
        ? `item ${String(r.queue)}/${String(r.id)} is taken by nobody`
        : `item ${String(r.queue)}/${String(r.id)} is still taken by pipeline ${String(r.taken_by)}, which ${r.status === null ? 'does not exist' : `is ${String(r.status)}`}`,
  },
  {
    name: 'queue_attempts.single',
    summary: 'an item has at most one attempt under way, and only while taken',
    needs: { queue_attempts: ['item_seq', 'outcome'], queue_items: ['seq', 'queue', 'id', 'status'] },
    query: `SELECT i.queue, i.id, i.status, COUNT(*) AS n FROM queue_attempts a JOIN queue_items i ON i.seq = a.item_seq
            WHERE a.outcome = 'running' GROUP BY a.item_seq HAVING n > 1 OR i.status <> 'taken'`,
    describe: (r) =>
      Number(r.n) > 1
        ? `item ${String(r.queue)}/${String(r.id)} has ${String(r.n)} attempts under way at once`
        : `item ${String(r.queue)}/${String(r.id)} has an attempt under way but is ${String(r.status)}`,
  },
  {
    name: 'strategy_runs.ended',
    summary: 'no strategy run active in a pipeline that has ended',
    severity: 'warning',
    needs: { strategy_runs: ['pipeline_id', 'strategy', 'status'], pipelines: ['id', 'status'] },
    query: `SELECT s.pipeline_id, s.strategy, p.status FROM strategy_runs s JOIN pipelines p ON p.id = s.pipeline_id
            WHERE s.status = 'active' AND p.status IN ${TERMINAL}`,
    describe: (r) => `strategy ${String(r.strategy)} of ${String(r.pipeline_id)} is active but the pipeline is ${String(r.status)}`,
  },
  {
    name: 'events.sequence',
    summary: 'event ids only grow (the id sequence is ahead of every event)',
    needs: { events: ['id'], sqlite_sequence: ['name', 'seq'] },
    query: `SELECT s.seq, (SELECT MAX(id) FROM events) AS max_id FROM sqlite_sequence s
            WHERE s.name = 'events' AND s.seq < (SELECT MAX(id) FROM events)`,
    describe: (r) => `the events id sequence (${String(r.seq)}) is behind the newest event (${String(r.max_id)})`,
  },
];

export interface CheckOptions {
  quick?: boolean;
  /** Shown in the report. */
  path?: string;
}

/** Runs every check on an open connection; never writes. */
export function checkIntegrity(sqlite: BetterSqlite3.Database, options: CheckOptions = {}): IntegrityReport {
  const started = Date.now();
  const problems: IntegrityProblem[] = [];
  const checks: IntegrityCheckInfo[] = [];
  const record = (name: string, summary: string, found: IntegrityProblem[], total: number, skipped: string | null = null) => {
    problems.push(...found.slice(0, MAX_LISTED));
    if (found.length > MAX_LISTED) {
      problems.push({ check: name, severity: found[0]!.severity, message: `... and ${found.length - MAX_LISTED} more` });
    }
    checks.push({ name, summary, ok: found.every((p) => p.severity !== 'error'), problems: total, skipped });
  };

  const readSnapshot = sqlite.transaction(() => {
    const pragma = options.quick ? 'quick_check' : 'integrity_check';
    const messages = (sqlite.pragma(pragma) as Record<string, string>[]).map((r) => String(Object.values(r)[0]));
    const bad = messages.filter((m) => m !== 'ok');
    record(
      `sqlite.${pragma}`,
      options.quick ? 'SQLite quick_check (page structure, no index cross-check)' : 'SQLite integrity_check (pages, indexes, constraints)',
      bad.map((m) => ({ check: `sqlite.${pragma}`, severity: 'error' as const, message: m })),
      bad.length,
    );

    const fk = sqlite.pragma('foreign_key_check') as { table: string; rowid: number | null; parent: string; fkid: number }[];
    record(
      'sqlite.foreign_key_check',
      'every reference points at an existing row',
      fk.map((r) => ({
        check: 'sqlite.foreign_key_check',
        severity: 'error' as const,
        message: `${r.table} row ${r.rowid ?? '?'} references a missing ${r.parent} row`,
      })),
      fk.length,
    );

    const columns = tableColumns(sqlite);
    for (const inv of INVARIANTS) {
      const missing = Object.entries(inv.needs).flatMap(([table, cols]) => {
        const have = columns.get(table);
        if (!have) return [`table ${table}`];
        return cols.filter((c) => !have.has(c)).map((c) => `column ${table}.${c}`);
      });
      if (missing.length > 0) {
        record(inv.name, inv.summary, [], 0, `not in this schema: ${missing.join(', ')}`);
        continue;
      }
      const rows = sqlite.prepare(inv.query).all() as Record<string, unknown>[];
      const severity = inv.severity ?? 'error';
      record(
        inv.name,
        inv.summary,
        rows.map((r) => ({ check: inv.name, severity, message: inv.describe(r) })),
        rows.length,
      );
    }
  });
  readSnapshot();

  return {
    ok: problems.every((p) => p.severity !== 'error'),
    database: options.path ?? sqlite.name,
    schemaVersion: schemaVersionOf(sqlite),
    supportedSchemaVersion: LATEST_SCHEMA_VERSION,
    quick: options.quick ?? false,
    checks,
    problems,
    durationMs: Date.now() - started,
  };
}

export function schemaVersionOf(sqlite: BetterSqlite3.Database): number {
  return Number(sqlite.pragma('user_version', { simple: true }));
}

/** table name -> its columns, for every table in the database (sqlite_sequence included). */
function tableColumns(sqlite: BetterSqlite3.Database): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const tables = sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[];
  for (const { name } of tables) {
    const cols = sqlite.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[];
    out.set(name, new Set(cols.map((c) => c.name)));
  }
  return out;
}
