/** Between a cron's row (storage), its runbook definition and the pure slot core (core/cron). */
import type { CronMethods } from '@oj/protocol';
import { alignedIntervalSchedule, blankCronState, intervalSchedule, type CronSettings, type CronSlotState, type SkipRun } from '../core/cron/index.js';
import type { Cron } from '../runbook/model.js';
import type { CronRow } from '../storage/worker-store.js';

/** `aligned`: slots on the epoch's grid, the same on every daemon of a cluster. */
export function settingsOf(cron: Cron, aligned = false): CronSettings {
  return {
    schedule: (aligned ? alignedIntervalSchedule : intervalSchedule)(cron.interval.ms, cron.interval.text),
    intervalMs: cron.interval.ms,
    monitors: cron.monitors.map((m) => m.ref),
  };
}

/** The slot state of a cron's row (a blank one when it has none), with the skips kept in memory. */
export function toState(name: string, row: CronRow | undefined, skips: SkipRun | null, now: number): CronSlotState {
  if (!row) return { ...blankCronState(name, now), skips };
  return {
    name: row.name,
    enabled: row.enabled === 1,
    intervalMs: row.interval_ms,
    nextDueAt: row.next_due_at,
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
    interval_ms: s.intervalMs,
    next_due_at: s.nextDueAt,
    last_run_at: s.lastRunAt,
    last_outcome: s.lastOutcome,
    last_error: s.lastError,
    last_pipeline: s.lastPipeline,
    runs: s.runs,
    changed_at: s.changedAt,
  };
}

/** `pipelineName`: a pipeline's id in its project, from its stored key. */
export function toInfo(name: string, cron: Cron | undefined, row: CronRow | undefined, pipelineName: (key: string) => string): CronMethods.CronInfo {
  const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
  const run = cron?.run ? (cron.run.type === 'pipeline' ? `pipeline ${cron.run.pipeline.ref}` : cron.run.shell) : null;
  return {
    name,
    runbook: cron?.file ?? null,
    interval: cron?.interval.text ?? null,
    enabled: row?.enabled === 1,
    defined: cron !== undefined,
    monitors: cron?.monitors.map((m) => m.ref) ?? [],
    run,
    nextDueAt: row?.enabled === 1 ? iso(row.next_due_at) : null,
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
