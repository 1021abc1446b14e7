/**
 * Pruning by the retention settings, so that nothing the daemon keeps grows
 * without bound:
 *   - events older than `events`, and beyond the newest `events_max`; events
 *     of pipelines still under way and of open escalations are kept (their
 *     history is still being shown). Ids are never reused (AUTOINCREMENT), so
 *     `oj events --since N` stays monotonic across a prune;
 *   - the directory of a session ended longer than `transcripts` ago
 *     (transcript, spec, prompt); its row stays for `oj session list --all`;
 *   - the phase logs of a pipeline finished longer than `logs` ago.
 * Deletes go in small batches, each its own transaction, so a prune never
 * holds the write lock for long.
 */
import { existsSync, lstatSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { processAlive, type PruneResult } from '@oj/protocol';
import type { Storage } from '../storage/storage.js';
import type { Retention } from './daemon-config.js';
import { TERMINAL_SQL as TERMINAL } from './status-sql.js';

const BATCH = 2000;

export interface PrunePaths {
  sessionsDir: string;
  logsDir: string;
}

export function pruneOnce(storage: Storage, paths: PrunePaths, r: Retention, now: number, dryRun = false): PruneResult {
  const sqlite = storage.runner.sqlite;
  const has = (table: string) =>
    sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined;
  const keep: string[] = [];
  if (has('pipelines')) keep.push(`(subject IS NOT NULL AND subject IN (SELECT id FROM pipelines WHERE status NOT IN ${TERMINAL}))`);
  if (has('escalations')) keep.push(`id IN (SELECT event_id FROM escalations WHERE status = 'open' AND event_id IS NOT NULL)`);
  const kept = keep.length ? ` AND NOT (${keep.join(' OR ')})` : '';

  let events = 0;
  const conditions: { where: string; args: number[] }[] = [];
  if (r.eventsMs !== null) conditions.push({ where: `time < ?`, args: [now - r.eventsMs] });
  if (r.eventsMax !== null) {
    const cutoff = sqlite.prepare(`SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?`).get(r.eventsMax) as { id: number } | undefined;
    if (cutoff) conditions.push({ where: `id <= ?`, args: [cutoff.id] });
  }
  if (conditions.length > 0) {
    const where = `(${conditions.map((c) => c.where).join(' OR ')})${kept}`;
    const args = conditions.flatMap((c) => c.args);
    if (dryRun) {
      events = Number((sqlite.prepare(`SELECT COUNT(*) AS n FROM events WHERE ${where}`).get(...args) as { n: number }).n);
    } else {
      const del = sqlite.prepare(`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ${where} ORDER BY id LIMIT ${BATCH})`);
      for (;;) {
        const n = storage.write(() => del.run(...args).changes);
        events += n;
        if (n < BATCH) break;
      }
    }
  }

  let bytes = 0;
  let sessions = 0;
  if (r.transcriptsMs !== null && has('sessions')) {
    const rows = sqlite
      .prepare(`SELECT id, dir FROM sessions WHERE status <> 'running' AND ended_at IS NOT NULL AND ended_at < ?`)
      .all(now - r.transcriptsMs) as { id: string; dir: string }[];
    for (const row of rows) {
      const dir = resolve(row.dir);
      // Only a directory of ours, whose host has gone (it lingers a while after its command ends).
      if (!inside(paths.sessionsDir, dir) || !existsSync(dir) || hostAlive(dir)) continue;
      bytes += sizeOf(dir);
      if (!dryRun) rmSync(dir, { recursive: true, force: true });
      sessions++;
    }
  }

  let logs = 0;
  if (r.logsMs !== null && has('pipelines') && existsSync(paths.logsDir)) {
    const finished = sqlite.prepare(`SELECT finished_at FROM pipelines WHERE id = ? AND status IN ${TERMINAL}`);
    for (const name of readdirSync(paths.logsDir)) {
      const dir = join(paths.logsDir, name);
      const row = finished.get(name) as { finished_at: number | null } | undefined;
      // Directories that are not a pipeline's (queue, cron and coordination logs) are left alone.
      if (!row || row.finished_at === null || row.finished_at >= now - r.logsMs) continue;
      bytes += sizeOf(dir);
      if (!dryRun) rmSync(dir, { recursive: true, force: true });
      logs++;
    }
  }

  return { dryRun, events, sessions, logs, bytes, at: new Date(now).toISOString(), settings: r.settings };
}

function hostAlive(dir: string): boolean {
  if (!existsSync(join(dir, 'host.sock'))) return false;
  try {
    const pid = Number.parseInt(readFileSync(join(dir, 'host.pid'), 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 && processAlive(pid);
  } catch {
    return false;
  }
}

function inside(root: string, path: string): boolean {
  const r = resolve(root) + sep;
  return path.startsWith(r);
}

/** Bytes under a path (symlinks not followed). */
function sizeOf(path: string): number {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of readdirSync(path)) total += sizeOf(join(path, name));
  return total;
}
