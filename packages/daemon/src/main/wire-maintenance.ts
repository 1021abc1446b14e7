/**
 * Plugs maintenance into the daemon: `maintenance.check` (integrity),
 * `maintenance.backup` (online backup API) and `maintenance.prune`
 * (retention, also on a timer), with the settings of `<state>/config.toml`
 * and the OJ_RETENTION_* variables. At stop it ends every process group a
 * shell run started that is still alive (TERM, then KILL after a grace
 * period), so a daemon stop leaves no orphaned children; agent sessions are
 * the exception by design (they outlive the daemon unless `--kill`).
 * It also keeps `<state>/ojd.out` under its cap (log/out-file-cap.ts).
 */
import { MaintenanceMethods, statePaths, type PruneResult } from '@oj/protocol';
import { setLongTimeout, type LongTimer } from '../adapters/long-timer.js';
import { capOutFile } from '../log/out-file-cap.js';
import { lazyImport } from '../lazy-module.js';
import { loadDaemonConfig } from '../maintenance/daemon-config.js';
import { pruneOnce } from '../maintenance/retention.js';
import type { Capability, WiringContext } from './wiring.js';

/** `oj daemon check` and `oj daemon backup`: loaded when first asked for. */
const loadIntegrity = lazyImport('the integrity check', () => import('../maintenance/integrity.js'));
const loadBackup = lazyImport('the database backup', () => import('../maintenance/backup.js'));

/** The first prune runs this long after start (or after prune_every, if shorter). */
const FIRST_PRUNE_MS = 30_000;
/** How often ojd.out is checked against its cap (also once at start). */
const OUT_CHECK_MS = 60 * 60 * 1000;

export function wireMaintenance(ctx: WiringContext): Capability {
  const { retention } = loadDaemonConfig(ctx.stateDir);
  const paths = statePaths(ctx.stateDir);
  const dbPath = ctx.storage.database.path;
  let timer: LongTimer | null = null;
  let outTimer: NodeJS.Timeout | null = null;

  const prune = (dryRun: boolean): PruneResult => {
    const result = pruneOnce(ctx.storage, paths, retention, ctx.now(), dryRun);
    if (!dryRun && (result.events || result.sessions || result.logs)) {
      ctx.logger.info('pruned by retention', { events: result.events, sessions: result.sessions, logs: result.logs, bytes: result.bytes });
    }
    if (!dryRun) void pruneShared();
    return result;
  };

  // In a cluster, the shared events by the same settings (any host may: the same rows go).
  const pruneShared = async () => {
    const shared = ctx.shared.events;
    if (!shared || (retention.eventsMs === null && retention.eventsMax === null)) return;
    try {
      const n = await shared.prune(retention.eventsMs === null ? null : ctx.now() - retention.eventsMs, retention.eventsMax);
      if (n) ctx.logger.info('pruned shared events by retention', { events: n });
    } catch (err) {
      ctx.logger.warn('shared events not pruned', { error: String(err) });
    }
  };

  ctx.router.handle(MaintenanceMethods.Check, async (p) => (await loadIntegrity()).checkIntegrity(ctx.storage.runner.sqlite, { quick: p?.quick ?? false, path: dbPath }));
  ctx.router.handle(MaintenanceMethods.Backup, async (p) => {
    const { backupDatabase } = await loadBackup();
    const result = await backupDatabase(ctx.storage.runner.sqlite, p.path, { force: p.force ?? false, livePath: dbPath });
    ctx.logger.info('database backed up', { path: result.path, bytes: result.bytes, durationMs: result.durationMs });
    return result;
  });
  ctx.router.handle(MaintenanceMethods.Prune, (p) => prune(p?.dryRun ?? false));

  const capOut = () => {
    try {
      if (capOutFile(paths.out)) ctx.logger.info('ojd.out was over its cap: kept its tail as ojd.out.1 and emptied it', { path: paths.out });
    } catch (err) {
      ctx.logger.warn('could not cap ojd.out', { path: paths.out, error: String(err) });
    }
  };

  const scheduled = () => {
    try {
      prune(false);
    } catch (err) {
      ctx.logger.error('pruning failed', { error: String(err) });
    }
  };

  return {
    start() {
      capOut();
      outTimer = setInterval(capOut, OUT_CHECK_MS);
      outTimer.unref();
      ctx.logger.info('retention', { ...retention.settings });
      const every = retention.everyMs;
      if (every === null) return;
      // prune_every may be longer than one Node timer holds (24.8 days).
      const tick = () => {
        scheduled();
        timer = setLongTimeout(tick, every, { unref: true });
      };
      timer = setLongTimeout(tick, Math.min(every, FIRST_PRUNE_MS), { unref: true });
    },
    async stop() {
      timer?.cancel();
      timer = null;
      if (outTimer) clearInterval(outTimer);
      outTimer = null;
      const ended = await ctx.shellRunner.stopAll();
      if (ended > 0) ctx.logger.info('ended child processes at stop', { processGroups: ended });
    },
    counts: () => ({ 'shells.running': ctx.shellRunner.liveGroups() }),
  };
}
