/**
 * A cron's schedule as the slot core uses it (core/cron `Schedule`): its
 * interval, or its calendar in its zone shifted by its jitter. The jitter's
 * offset comes from the cron's project and name, so the daemon, `oj cron
 * next` and `oj runbook check --verbose` agree on every run time.
 */
import { calendarFrom, localTimeZone } from './croner-schedule.js';
import { intervalSchedule, jitterOffset, jittered, upcoming, type Schedule } from '../core/cron/index.js';
import type { Cron } from './model.js';

/** How a cron's timing reads: its interval or expression, the zone, the jitter and this cron's offset. */
export interface CronTiming {
  interval: string | null;
  schedule: string | null;
  /** The zone of a calendar cron (the local one unless the runbook names one); null for an interval. */
  timezone: string | null;
  jitter: { text: string; offsetMs: number } | null;
}

/** The jitter offset of `cron` in `project` (0 without a jitter). */
export function cronJitterOffset(project: string, cron: Cron): number {
  return cron.jitter ? jitterOffset(`${project}\0${cron.name}`, cron.jitter.ms) : 0;
}

/** The schedule of `cron` in `project` (its root). Throws when the expression does not load (the loader refused it already). */
export function cronSchedule(project: string, cron: Cron): Schedule {
  if (cron.schedule === null) {
    const interval = cron.interval ?? { text: '1m', ms: 60_000 };
    return intervalSchedule(interval.ms, interval.text);
  }
  return jittered(calendarFrom(cron.schedule, cron.timezone), cronJitterOffset(project, cron));
}

export function cronTiming(project: string, cron: Cron): CronTiming {
  return {
    interval: cron.interval?.text ?? null,
    schedule: cron.schedule,
    timezone: cron.schedule === null ? null : (cron.timezone ?? localTimeZone()),
    jitter: cron.jitter ? { text: cron.jitter.text, offsetMs: cronJitterOffset(project, cron) } : null,
  };
}

/** The next `count` run times of `cron` if it were enabled at `now` (epoch ms). */
export function cronRunsFrom(project: string, cron: Cron, now: number, count: number): number[] {
  const schedule = cronSchedule(project, cron);
  return upcoming(schedule, schedule.first(now), count);
}
