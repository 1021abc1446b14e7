/**
 * oj daemon check|backup|restore|prune: the health of the daemon's database.
 * check and backup go through the running daemon when there is one (it holds
 * the database) and otherwise open the file themselves (check read-only);
 * restore only runs with the daemon stopped; prune asks the daemon, which
 * owns the retention settings.
 */
import { resolve } from 'node:path';
import {
  MaintenanceMethods,
  processAlive,
  statePaths,
  type BackupResult,
  type IntegrityReport,
  type PruneResult,
} from '@oj/protocol/client';
import type { CommandModule } from 'yargs';
import { daemonLocation, tryConnect } from '../client/daemon-launcher.js';
import { printJson, println } from '../output/print.js';
import { style } from '../output/style.js';
import { formatDuration } from '../output/time.js';
import { locally, withDaemon } from './run-command.js';
import { readFileSync } from 'node:fs';

const offline = () => import('@oj/daemon/maintenance');

export const checkCommand: CommandModule<object, { quick?: boolean; json?: boolean }> = {
  command: 'check',
  describe: "Check the database's integrity and oj's invariants (read-only; works with or without a running daemon)",
  builder: (a) =>
    a
      .option('quick', { type: 'boolean', describe: 'quick_check instead of the full integrity_check (faster on a big database)' })
      .option('json', { type: 'boolean', describe: 'machine-readable output' }) as never,
  handler: (argv) =>
    locally(async () => {
      const loc = daemonLocation();
      const conn = await tryConnect(loc);
      let report: IntegrityReport;
      let via: 'daemon' | 'file';
      if (conn) {
        try {
          report = await conn.call(MaintenanceMethods.Check, { quick: Boolean(argv.quick) });
        } finally {
          conn.close();
        }
        via = 'daemon';
      } else {
        const { checkDatabaseFile } = await offline();
        report = checkDatabaseFile(statePaths(loc.stateDir).database, { quick: Boolean(argv.quick) });
        via = 'file';
      }
      if (argv.json) printJson({ ...report, via });
      else printReport(report, via);
      return report.ok ? 0 : 1;
    }),
};

function printReport(r: IntegrityReport, via: 'daemon' | 'file'): void {
  const by = via === 'daemon' ? 'through the running daemon' : 'on the file (no daemon running)';
  println(`database ${r.database} (schema ${r.schemaVersion} of ${r.supportedSchemaVersion}), checked ${by} in ${r.durationMs} ms`);
  const width = Math.max(...r.checks.map((c) => c.name.length));
  for (const c of r.checks) {
    const mark = c.skipped ? style.dim('-') : c.ok && c.problems === 0 ? style.green('✓') : c.ok ? style.yellow('!') : style.red('✗');
    const what = c.skipped ? style.dim(`skipped: ${c.skipped}`) : c.summary + (c.problems ? ` (${c.problems})` : '');
    println(`  ${mark} ${c.name.padEnd(width)}  ${what}`);
  }
  if (r.problems.length > 0) {
    println();
    for (const p of r.problems) println(`  ${p.severity === 'error' ? style.red('error  ') : style.yellow('warning')} ${p.message}`);
  }
  const errors = r.problems.filter((p) => p.severity === 'error').length;
  const warnings = r.problems.length - errors;
  println();
  if (errors === 0) {
    println(warnings === 0 ? style.green('ok') : `ok, ${warnings} warning${warnings === 1 ? '' : 's'} (the next daemon start reconciles them)`);
  } else {
    println(style.red(`${errors} problem${errors === 1 ? '' : 's'} found`));
    println('hint: restore a backup with oj daemon restore <file> (docs/reliability.md), or keep the file for a bug report');
  }
}

export const backupCommand: CommandModule<object, { file: string; force?: boolean; json?: boolean }> = {
  command: 'backup <file>',
  describe: 'Copy the database to <file> while ojd runs (SQLite online backup), verified',
  builder: (a) =>
    a
      .positional('file', { type: 'string', describe: 'where to write the copy', demandOption: true })
      .option('force', { type: 'boolean', describe: 'replace <file> if it exists' })
      .option('json', { type: 'boolean', describe: 'machine-readable output' }) as never,
  handler: (argv) =>
    locally(async () => {
      const loc = daemonLocation();
      const target = resolve(argv.file);
      const conn = await tryConnect(loc);
      let result: BackupResult;
      let via: 'daemon' | 'file';
      if (conn) {
        try {
          result = await conn.call(MaintenanceMethods.Backup, { path: target, ...(argv.force ? { force: true } : {}) });
        } finally {
          conn.close();
        }
        via = 'daemon';
      } else {
        const { backupDatabaseFile } = await offline();
        result = await backupDatabaseFile(statePaths(loc.stateDir).database, target, { force: Boolean(argv.force) });
        via = 'file';
      }
      if (argv.json) printJson({ ...result, via });
      else {
        println(
          `backed up to ${result.path} (${formatBytes(result.bytes)}, schema ${result.schemaVersion}, verified) ` +
            `${via === 'daemon' ? 'from the running daemon' : 'from the database file'} in ${formatDuration(result.durationMs)}`,
        );
      }
      return 0;
    }),
};

export const restoreCommand: CommandModule<object, { file: string; json?: boolean }> = {
  command: 'restore <file>',
  describe: 'Replace the database with a backup (ojd must be stopped, else exit 1; the current one is kept aside)',
  builder: (a) =>
    a
      .positional('file', { type: 'string', describe: 'a backup made by oj daemon backup', demandOption: true })
      .option('json', { type: 'boolean', describe: 'machine-readable output' }) as never,
  handler: (argv) =>
    locally(async () => {
      const loc = daemonLocation();
      const conn = await tryConnect(loc);
      if (conn) {
        conn.close();
        // Not the command line's fault: the daemon's state is wrong for it (exit 1).
        throw new Error('ojd is running: stop it first (oj daemon stop), then restore, then start it again');
      }
      const paths = statePaths(loc.stateDir);
      const pid = readPid(paths.pidFile);
      if (pid !== null && processAlive(pid)) {
        throw new Error(`an ojd (pid ${pid}) holds ${paths.pidFile}: stop it first (oj daemon stop)`);
      }
      const { restoreDatabaseFile } = await offline();
      const r = await restoreDatabaseFile(paths.database, resolve(argv.file));
      if (argv.json) printJson(r);
      else {
        println(`restored ${r.database} from ${r.from} (schema ${r.schemaVersion})`);
        if (r.previous) println(`the database it replaced is kept at ${r.previous}`);
        println('start the daemon to use it: oj daemon start (it reconciles pipelines, sessions and locks with what runs now)');
      }
      return 0;
    }),
};

export const pruneCommand: CommandModule<object, { dryRun?: boolean; json?: boolean }> = {
  command: 'prune',
  describe: 'Prune old events, transcripts and phase logs now, by the retention settings',
  builder: (a) =>
    a
      .option('dry-run', { type: 'boolean', describe: 'only count what would go' })
      .option('json', { type: 'boolean', describe: 'machine-readable output' }) as never,
  handler: (argv) =>
    withDaemon(async (conn) => {
      const r: PruneResult = await conn.call(MaintenanceMethods.Prune, { dryRun: Boolean(argv.dryRun) });
      if (argv.json) {
        printJson(r);
        return 0;
      }
      const verb = r.dryRun ? 'would prune' : 'pruned';
      println(`${verb} ${r.events} events, ${r.sessions} session directories, ${r.logs} pipeline log directories (${formatBytes(r.bytes)} of files)`);
      const s = r.settings;
      const keep = (v: string | null) => v ?? 'forever';
      println(
        style.dim(
          `retention: events ${keep(s.events)}${s.eventsMax !== null ? ` (at most ${s.eventsMax})` : ''}, transcripts ${keep(s.transcripts)}, ` +
            `logs ${keep(s.logs)}; every ${s.every ?? 'never (only oj daemon prune)'}; from ${s.sources.join(', ')}`,
        ),
      );
      return 0;
    }),
};

function readPid(path: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}
