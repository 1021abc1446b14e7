/** Crons: run monitors and/or a pipeline or shell command every interval. */
import { z } from 'zod';
import { method } from '../rpc.js';

/** How a cron's last run went: `running` while under way. */
export type CronOutcome = 'running' | 'done' | 'failed';

export interface CronInfo {
  name: string;
  runbook: string | null;
  interval: string | null;
  enabled: boolean;
  /** False when the cron is no longer in the runbooks. */
  defined: boolean;
  monitors: string[];
  /** What it runs besides monitors: `pipeline <name>`, the shell command, or null. */
  run: string | null;
  nextDueAt: string | null;
  lastRunAt: string | null;
  lastOutcome: CronOutcome | null;
  lastError: string | null;
  lastPipeline: string | null;
  runs: number;
}

const project = z.string().min(1);
const name = z.string().min(1).max(200);

export const List = method<{ crons: CronInfo[] }>()(
  'crons.list',
  z.object({ project }).strict(),
  "The project's crons with their state and next due time.",
);

export const Enable = method<{ cron: CronInfo; changed: boolean }>()(
  'crons.enable',
  z.object({ project, name }).strict(),
  'Enable a cron (persisted); its first run is one interval from now.',
);

export const Disable = method<{ cron: CronInfo; changed: boolean }>()(
  'crons.disable',
  z.object({ project, name }).strict(),
  'Disable a cron (persisted); a run under way finishes.',
);

export const Run = method<{ cron: CronInfo; pipeline: string | null }>()(
  'crons.run',
  z.object({ project, name }).strict(),
  'Run a cron once now (enabled or not); its schedule is unchanged.',
);
