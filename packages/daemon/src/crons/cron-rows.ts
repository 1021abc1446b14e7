/** Between a cron's row (storage), its runbook definition and the pure slot core (core/cron). */
import type { CronMethods } from '@oj/protocol';
import { blankCronState, upcoming, type CronSettings, type CronSlotState, type SkipRun } from '../core/cron/index.js';
import { cronSchedule, cronTiming, type ClusterPlacement } from '../runbook/cron-schedule.js';
import type { Cron } from '../runbook/model.js';
import type { CronRow } from '../storage/worker-store.js';

/** How many next run times a listing shows. */
const LISTED_RUNS = 3;

/** What the slot core needs of a cron's definition in `project` (`cluster`: its slots the same on every daemon). */
export function settingsOf(project: string, cron: Cron, cluster?: ClusterPlacement): CronSettings {
  return {
    schedule: cronSchedule(project, cron, cluster),
    catchUp: { policy: cron.catch_up, max: cron.max_catch_up },
    monitors: cron.monitors.map((m) => m.ref),
    restartGraceMs: cluster?.claimGraceMs ?? 0,
  };
}

/** The next `count` run times of an enabled cron, from its due slot on (none while disabled). */
export function plannedRuns(project: string, cron: Cron | undefined, row: CronRow | undefined, count: number, cluster?: ClusterPlacement): number[] {
  if (!cron || row?.enabled !== 1 || row.next_due_at === null) return [];
  return upcoming(cronSchedule(project, cron, cluster), row.next_due_at, count);
}

/** The slot state of a cron's row (a blank one when it has none), with the skips kept in memory. */
export function toState(name: string, row: CronRow | undefined, skips: SkipRun | null, now: number): CronSlotState {
  if (!row) return { ...blankCronState(name, now), skips };
  return {
    name: row.name,
    enabled: row.enabled === 1,
    scheduleKey: row.schedule_key,
    nextDueAt: row.next_due_at,
    catchUpUntil: row.catch_up_until,
    lastRunAt: row.last_run_at,
    lastOutcome: row.last_outcome,
    lastError: row.last_error,
    lastPipeline: row.last_pipeline,
    runs: row.runs,
    changedAt: row.changed_at,
    skips,
  };
}

export function toRow(project: string, s: CronSlotState): CronRow {
  return {
    project,
    name: s.name,
    enabled: s.enabled ? 1 : 0,
    schedule_key: s.scheduleKey,
    next_due_at: s.nextDueAt,
    catch_up_until: s.catchUpUntil,
    last_run_at: s.lastRunAt,
    last_outcome: s.lastOutcome,
    last_error: s.lastError,
    last_pipeline: s.lastPipeline,
    runs: s.runs,
    changed_at: s.changedAt,
  };
}

/** `pipelineName`: a pipeline's id in its project, from its stored key. */
export function toInfo(
  project: string,
  name: string,
  cron: Cron | undefined,
  row: CronRow | undefined,
  pipelineName: (key: string) => string,
  cluster?: ClusterPlacement,
): CronMethods.CronInfo {
  const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
  const run = cron?.run ? (cron.run.type === 'pipeline' ? `pipeline ${cron.run.pipeline.ref}` : cron.run.shell) : null;
  const timing = cron ? cronTiming(project, cron, cluster) : { interval: null, schedule: null, timezone: null, jitter: null };
  return {
    name,
    runbook: cron?.file ?? null,
    ...timing,
    catchUp: cron?.catch_up ?? null,
    enabled: row?.enabled === 1,
    defined: cron !== undefined,
    monitors: cron?.monitors.map((m) => m.ref) ?? [],
    run,
    nextDueAt: row?.enabled === 1 ? iso(row.next_due_at) : null,
    nextRuns: plannedRuns(project, cron, row, LISTED_RUNS, cluster).map((t) => new Date(t).toISOString()),
    lastRunAt: iso(row?.last_run_at),
    lastOutcome: row?.last_outcome ?? null,
    lastError: row?.last_error ?? null,
    lastPipeline: row?.last_pipeline ? pipelineName(row.last_pipeline) : null,
    runs: row?.runs ?? 0,
  };
}

/** The key of a cron in the scheduler's in-memory maps. */
export function cronKey(project: string, name: string): string {
  return `${project}\0${name}`;
}

export function fromCronKey(key: string): { project: string; name: string } {
  const i = key.indexOf('\0');
  return { project: key.slice(0, i), name: key.slice(i + 1) };
}
