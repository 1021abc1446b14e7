/** Crons: run monitors and/or a pipeline or shell command every interval or on a calendar. */
import { z } from 'zod';
import { method } from '../rpc.js';
import { once } from '../once.js';

/** How a cron's last run went: `running` while under way. */
export type CronOutcome = 'running' | 'done' | 'failed';

/** What a cron does with slots missed while the daemon was down: run the latest once, none, or all (bounded). */
export type CatchUpPolicy = 'latest' | 'none' | 'all';

export interface CronInfo {
  name: string;
  runbook: string | null;
  /** Every this long (`"30s"`), or null for a calendar cron. */
  interval: string | null;
  /** The cron expression of a calendar cron (`"0 9 * * 1-5"`), or null. */
  schedule: string | null;
  /** The IANA zone its expression is read in (the daemon's local zone unless the runbook names one); null for an interval. */
  timezone: string | null;
  /** The jitter as written (`"5m"`) and the offset it gives this cron, in ms; null without one. */
  jitter: { text: string; offsetMs: number } | null;
  catchUp: CatchUpPolicy | null;
  enabled: boolean;
  /** False when the cron is no longer in the runbooks. */
  defined: boolean;
  monitors: string[];
  /** What it runs besides monitors: `pipeline <name>`, the shell command, or null. */
  run: string | null;
  nextDueAt: string | null;
  /** The next three run times (jitter included), from the due slot on; empty while disabled. */
  nextRuns: string[];
  lastRunAt: string | null;
  lastOutcome: CronOutcome | null;
  lastError: string | null;
  lastPipeline: string | null;
  runs: number;
}

const project = once(() => z.string().min(1));
const name = once(() => z.string().min(1).max(200));

export const List = method<{ crons: CronInfo[] }>()(
  'crons.list',
  () => z.object({ project: project() }).strict(),
  "The project's crons with their state and next due time.",
);

export const Enable = method<{ cron: CronInfo; changed: boolean }>()(
  'crons.enable',
  () => z.object({ project: project(), name: name() }).strict(),
  'Enable a cron (persisted); its first run is one interval from now. In cluster mode it is enabled on every host serving the project (each slot still runs once); refused with Unavailable while the cluster database cannot be reached.',
);

export const Disable = method<{ cron: CronInfo; changed: boolean }>()(
  'crons.disable',
  () => z.object({ project: project(), name: name() }).strict(),
  'Disable a cron (persisted); a run under way finishes. In cluster mode on every host serving the project; refused with Unavailable while the cluster database cannot be reached.',
);

export const Run = method<{ cron: CronInfo; pipeline: string | null }>()(
  'crons.run',
  () => z.object({ project: project(), name: name() }).strict(),
  'Run a cron once now (enabled or not); its schedule is unchanged.',
);

/** Upcoming run times of a cron: as planned while enabled, as they would be if enabled now otherwise. */
export interface CronNext {
  cron: string;
  interval: string | null;
  schedule: string | null;
  timezone: string | null;
  jitter: { text: string; offsetMs: number } | null;
  enabled: boolean;
  /** ISO times, jitter included. */
  times: string[];
}

export const Next = method<CronNext>()(
  'crons.next',
  () => z.object({ project: project(), name: name(), count: z.number().int().min(1).max(1000).optional() }).strict(),
  'Upcoming run times of a cron (default 5): as planned while enabled, as if enabled now otherwise.',
);
