/**
 * What one pass of a monitor works with, read from the runbooks when the
 * cron ticks: the monitor, its chain (each step resolved to a runbook action
 * or a built-in), its file's `[safety]`, and where its children log.
 */
import type { ChildEnv } from '../adapters/child-env.js';
import type { MonitorSettings } from '../core/monitor/index.js';
import { allowance, type StepSpec } from '../core/monitor/index.js';
import type { CronTick } from '../crons/cron-tick-hooks.js';
import { logFileFor, type ShellHost } from '../adapters/shell-host.js';
import { actionIn, type ActionIn } from '../core/recovery/index.js';
import { duration } from '../runbook/duration.js';
import type { Action, ChainStep, Cron, Monitor, Project } from '../runbook/index.js';
import { ACTION_DEFAULTS } from '../runbook/model.js';
import { protectedPaths, type ProtectedPaths } from './protected-paths.js';

export interface PassStep extends StepSpec {
  chain: ChainStep;
  /** What the step runs (core/recovery: a monitor runs every built-in, and runbook actions). */
  does: ActionIn<'monitor.response'>;
  /** The runbook action a `runbook` step runs (a run-less one only tunes a built-in: that stays built-in). */
  runbook: Action | null;
}

export interface Pass {
  project: Project;
  root: string;
  cron: Cron;
  monitor: Monitor;
  /** The response chain; null for a monitor with a direct `action`. */
  steps: PassStep[] | null;
  guard: ProtectedPaths | null;
  settings: MonitorSettings;
  logFile: string;
  env: ChildEnv;
  /** `monitor:<name>`: who acts, for escalations and events. */
  source: `monitor:${string}`;
  /** The waiting-for name a pipeline this monitor escalates is held under. */
  waitName: string;
}

export function passOf(shell: ShellHost, project: Project, tick: CronTick, monitor: Monitor): Pass {
  const safety = project.files.find((f) => f.name === monitor.file)?.safety;
  const steps = monitor.response?.map((s) => stepOf(project, s)) ?? null;
  return {
    project,
    root: tick.project,
    cron: tick.cron,
    monitor,
    steps,
    guard: safety && safety.protected.length ? protectedPaths(safety.protected, tick.project) : null,
    settings: { name: monitor.name, steps, dryRun: safety?.dry_run ?? 'off' },
    logFile: logFileFor(shell, tick.project, 'crons', tick.cron.name),
    env: shell.shellRunner.env({ project: tick.project, oj: { OJ_CRON: tick.cron.name, OJ_MONITOR: monitor.name } }),
    source: `monitor:${monitor.name}`,
    waitName: `monitor:${monitor.name}`,
  };
}

function stepOf(project: Project, s: ChainStep): PassStep {
  const found = s.id !== null ? project.get(s.id) : undefined;
  const action = found?.kind === 'action' ? found : null;
  const does = actionIn('monitor.response', s);
  return {
    action: s.action,
    chain: s,
    does,
    runbook: does.kind === 'runbook' ? action : null,
    allowance: allowance(s.max, action?.max_attempts ?? null),
    cooldownMs: (action?.cooldown ?? duration(ACTION_DEFAULTS.cooldown)).ms,
  };
}
