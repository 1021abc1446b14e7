/**
 * Keeping the daemon's state healthy: an integrity check of the database, an
 * online backup, and pruning by the retention settings. `oj daemon check` and
 * `oj daemon backup` call these while a daemon runs; without one the CLI does
 * the same work on the database file directly (read-only for the check).
 */
import { z } from 'zod';
import { method } from '../rpc.js';
import { once } from '../once.js';

/** One thing `check` found wrong. `error`: an invariant broken; `warning`: left for the next start to reconcile. */
export interface IntegrityProblem {
  check: string;
  severity: 'error' | 'warning';
  message: string;
}

export interface IntegrityCheckInfo {
  name: string;
  /** What it verifies, in a few words. */
  summary: string;
  ok: boolean;
  problems: number;
  /** Set when the check did not run (e.g. the table does not exist in this schema version). */
  skipped: string | null;
}

export interface IntegrityReport {
  /** No problem of severity `error`. */
  ok: boolean;
  database: string;
  schemaVersion: number;
  /** The newest schema version this build knows. */
  supportedSchemaVersion: number;
  quick: boolean;
  checks: IntegrityCheckInfo[];
  problems: IntegrityProblem[];
  durationMs: number;
}

export interface BackupResult {
  path: string;
  bytes: number;
  pages: number;
  schemaVersion: number;
  /** The copy passed `PRAGMA integrity_check`. */
  verified: boolean;
  durationMs: number;
}

/** The retention settings in force (durations as written, null = kept forever). */
export interface RetentionSettings {
  events: string | null;
  eventsMax: number | null;
  transcripts: string | null;
  logs: string | null;
  every: string | null;
  /** Where they came from: the defaults, `<state>/config.toml`, environment variables. */
  sources: string[];
}

export interface PruneResult {
  dryRun: boolean;
  /** Events deleted (or that would be). */
  events: number;
  /** Session directories of ended sessions removed (transcripts, spec, prompt). */
  sessions: number;
  /** Log directories of finished pipelines removed. */
  logs: number;
  /** Bytes freed on disk by the removed files (the database file shrinks only on VACUUM). */
  bytes: number;
  at: string;
  settings: RetentionSettings;
}

const absolutePath = once(() =>
  z
    .string()
    .min(1)
    .max(4096)
    .refine((p) => p.startsWith('/'), 'must be an absolute path'),
);

export const Check = method<IntegrityReport>()(
  'maintenance.check',
  () => z.object({ quick: z.boolean().optional() }).strict().optional(),
  'Integrity check: SQLite integrity_check (quick_check with quick), foreign_key_check and oj invariants (holds, items, runs, waits).',
);

export const Backup = method<BackupResult>()(
  'maintenance.backup',
  () => z.object({ path: absolutePath(), force: z.boolean().optional() }).strict(),
  "Online backup of the database (SQLite backup API) to an absolute path, written atomically and verified; refuses an existing file unless force.",
);

export const Prune = method<PruneResult>()(
  'maintenance.prune',
  () => z.object({ dryRun: z.boolean().optional() }).strict().optional(),
  'Prune by the retention settings now (old events, transcripts of ended sessions, logs of finished pipelines); dryRun only counts.',
);
