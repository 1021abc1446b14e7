/**
 * Carrying out one run of a cron (the core's `run` effect): its tick hooks
 * (the monitors), then its pipeline or its shell command, and its event
 * hooks. How the run goes is reported back to the scheduler, which steps the
 * cron's slot with it.
 */
import type { JsonValue } from '@oj/protocol';
import type { Logger } from 'winston';
import { definitionFromModel } from '../engine/definition-from-model.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import { createContext, interpolateShell } from '../runbook/index.js';
import type { Cron, Ref } from '../runbook/model.js';
import type { PipelineRecord } from '../storage/pipeline-store.js';
import type { Storage } from '../storage/storage.js';
import { appendLog, logFileFor, runHooks, type ShellHost } from '../adapters/shell-host.js';
import { cronKey } from './cron-rows.js';
import type { CronTickHook } from './cron-tick-hooks.js';

export interface CronRunsDeps {
  storage: Storage;
  engine: PipelineEngine;
  projects: ProjectRegistry;
  logger: Logger;
  shell: ShellHost;
  tickHooks(): readonly CronTickHook[];
}

/** Who hears how a run goes. */
export interface CronRunReports {
  /** Called inside the write that creates the run's pipeline (it commits with it or not at all). */
  pipelineCreated(project: string, cron: Cron, record: PipelineRecord): void;
  /** A run that is not a pipeline ended, or a run could not start. */
  ended(project: string, cron: Cron, outcome: 'done' | 'failed', error: string | null): void;
}

/** What a cron-owned pipeline carries as its owner. */
export interface CronOwner {
  kind: 'cron';
  cron: string;
}

export class CronRuns {
  /** Runs under way that are not pipelines (shell commands, monitor passes). */
  private readonly running = new Set<string>();
  /** Shell runs under way, ended when the daemon stops. */
  private readonly shells = new Map<string, { stop(reason: string): void }>();

  constructor(
    private readonly d: CronRunsDeps,
    private readonly reports: CronRunReports,
  ) {}

  /** A shell command or monitor pass of the cron is under way in this daemon. */
  runningHere(project: string, name: string): boolean {
    return this.running.has(cronKey(project, name));
  }

  start(project: string, cron: Cron, run: { scheduledAt: number | null; manual: boolean }): void {
    const monitorsDone = this.startMonitors(project, cron, run);
    const target = cron.run;
    if (target?.type === 'pipeline') {
      this.startPipeline(project, cron, target.pipeline);
      return;
    }
    const key = cronKey(project, cron.name);
    this.running.add(key);
    if (target?.type === 'shell') {
      this.startShell(project, cron, target.shell, monitorsDone);
      return;
    }
    void monitorsDone.then((monitorError) => {
      this.running.delete(key);
      this.reports.ended(project, cron, monitorError ? 'failed' : 'done', monitorError);
    });
  }

  /** Runs the cron's event hook commands (fire and forget). */
  hook(project: string, cron: Cron, hook: string, extra: Record<string, string>): void {
    const p = this.d.projects.peek(project);
    const commands = p?.hooks(cron, hook) ?? [];
    if (!commands.length) return;
    runHooks(this.d.shell, {
      project,
      hook,
      commands,
      values: { cron: cron.name, name: cron.name, project_root: project, ...extra },
      logFile: logFileFor(this.d.shell, project, 'crons', cron.name),
      subject: `cron ${cron.name}`,
    });
  }

  /** Daemon stop: shell runs are ended. */
  stopAll(): void {
    for (const sh of this.shells.values()) sh.stop('daemon stopping');
    this.shells.clear();
  }

  /** Starts the tick hooks; resolves with the first failure's message, or null. */
  private startMonitors(project: string, cron: Cron, run: { scheduledAt: number | null; manual: boolean }): Promise<string | null> {
    const hooks = this.d.tickHooks();
    if (cron.monitors.length && hooks.length === 0) {
      this.d.logger.debug('cron has monitors but this daemon does not run monitors yet', { cron: cron.name });
    }
    const tick = { project, cron, ...run };
    const monitorRuns = hooks.map((h) => {
      try {
        return Promise.resolve(h(tick));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    return Promise.allSettled(monitorRuns).then((results) => {
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) this.d.logger.warn('cron tick hook failed', { cron: cron.name, error: String(failed.reason) });
      return failed ? String(failed.reason instanceof Error ? failed.reason.message : failed.reason) : null;
    });
  }

  private startPipeline(project: string, cron: Cron, ref: Ref): void {
    try {
      const pipeline = this.d.projects.get(project).deref('pipeline', ref);
      const owner: CronOwner = { kind: 'cron', cron: cron.name };
      this.d.storage.write(() => {
        const record = this.d.engine.create({
          project,
          definition: definitionFromModel(pipeline),
          inputs: {},
          owner: owner as unknown as Record<string, JsonValue>,
        });
        this.reports.pipelineCreated(project, cron, record);
      });
    } catch (err) {
      this.reports.ended(project, cron, 'failed', `cannot start pipeline: ${(err as Error).message}`);
    }
  }

  private startShell(project: string, cron: Cron, template: string, monitorsDone: Promise<string | null>): void {
    const key = cronKey(project, cron.name);
    const logFile = logFileFor(this.d.shell, project, 'crons', cron.name);
    let script: string;
    try {
      script = interpolateShell(template, createContext({ name: 'runtime', values: { project_root: project, cron: cron.name, name: cron.name } }));
    } catch (err) {
      this.running.delete(key);
      this.reports.ended(project, cron, 'failed', `cannot build the command: ${(err as Error).message}`);
      return;
    }
    appendLog(logFile, `[run] ${script}`);
    const sh = this.d.shell.shellRunner.run({ script, cwd: project, env: this.d.shell.shellRunner.env({ project, oj: { OJ_CRON: cron.name } }), logFile });
    this.shells.set(key, sh);
    void Promise.all([sh.done, monitorsDone]).then(
      ([o, monitorError]) => {
        this.running.delete(key);
        this.shells.delete(key);
        if (o.exitCode === 0) this.reports.ended(project, cron, monitorError ? 'failed' : 'done', monitorError);
        else this.reports.ended(project, cron, 'failed', o.signal ? `killed by ${o.signal}` : `exit code ${o.exitCode}`);
      },
      (err: unknown) => {
        this.running.delete(key);
        this.shells.delete(key);
        this.reports.ended(project, cron, 'failed', String(err));
      },
    );
  }
}
