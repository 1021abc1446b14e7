/**
 * A cron's schedule as the slot core uses it (core/cron `Schedule`): its
 * interval, or its calendar in its zone shifted by its jitter. The jitter's
 * offset comes from the cron's project and name, so the daemon, `oj cron
 * next` and `oj runbook check --verbose` agree on every run time.
 *
 * In a cluster (docs/cluster.md) every daemon must compute the same slots,
 * since a slot (the cron's identity and its time) is claimed once: an
 * interval falls on the epoch's grid instead of its enable time's, and the
 * jitter comes from the project's cluster identity instead of its local root.
 */
import { calendarFrom, localTimeZone } from './croner-schedule.js';
import { alignedIntervalSchedule, intervalSchedule, jitterOffset, jittered, upcoming, type Schedule } from '../core/cron/index.js';
import type { Cron } from './model.js';

/** In a cluster: the project's cluster identity (its slots are the same on every daemon). */
export interface ClusterPlacement {
  identity: string;
  /** How long after a slot's time another daemon may still be claiming it (a host lease). */
  claimGraceMs?: number;
}

/** How a cron's timing reads: its interval or expression, the zone, the jitter and this cron's offset. */
export interface CronTiming {
  interval: string | null;
  schedule: string | null;
  /** The zone of a calendar cron (the local one unless the runbook names one); null for an interval. */
  timezone: string | null;
  jitter: { text: string; offsetMs: number } | null;
}

/** The jitter offset of `cron` in `project` (0 without a jitter). */
export function cronJitterOffset(project: string, cron: Cron, cluster?: ClusterPlacement): number {
  return cron.jitter ? jitterOffset(`${cluster?.identity ?? project}\0${cron.name}`, cron.jitter.ms) : 0;
}

/** The schedule of `cron` in `project` (its root). Throws when the expression does not load (the loader refused it already). */
export function cronSchedule(project: string, cron: Cron, cluster?: ClusterPlacement): Schedule {
  if (cron.schedule === null) {
    const interval = cron.interval ?? { text: '1m', ms: 60_000 };
    return (cluster ? alignedIntervalSchedule : intervalSchedule)(interval.ms, interval.text);
  }
  return jittered(calendarFrom(cron.schedule, cron.timezone), cronJitterOffset(project, cron, cluster));
}

export function cronTiming(project: string, cron: Cron, cluster?: ClusterPlacement): CronTiming {
  return {
    interval: cron.interval?.text ?? null,
    schedule: cron.schedule,
    timezone: cron.schedule === null ? null : (cron.timezone ?? localTimeZone()),
    jitter: cron.jitter ? { text: cron.jitter.text, offsetMs: cronJitterOffset(project, cron, cluster) } : null,
  };
}

/** The next `count` run times of `cron` if it were enabled at `now` (epoch ms). */
export function cronRunsFrom(project: string, cron: Cron, now: number, count: number, cluster?: ClusterPlacement): number[] {
  const schedule = cronSchedule(project, cron, cluster);
  return upcoming(schedule, schedule.first(now), count);
}
