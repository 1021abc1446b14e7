/**
 * The services the pipeline engine uses: resolving a new pipeline's values,
 * workspaces (git worktrees), running phases and event hooks. Phases get
 * their steps from `PhaseStepFactory` implementations (shell here; agents,
 * strategies, guards, locks and semaphores plug in beside it).
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { JsonValue } from '@oj/protocol';
import type { Logger } from 'winston';
import { NoCommitError, addWorktree, removeWorktree } from '../adapters/git-worktree.js';
import { grantOjToAgents } from '../adapters/claude-settings.js';
import { rollbackWorkTree } from '../adapters/git-rollback.js';
import { appendLog } from '../adapters/shell-host.js';
import type { ShellRunner } from '../adapters/shell-runner.js';
import { EnvValueError, filledEnv, type ChildEnv } from '../adapters/child-env.js';
import type { EventLog } from '../events/event-log.js';
import { WordList, pipelineContext, type InterpolationContext } from '../runbook/interpolation-context.js';
import { interpolateShell } from '../runbook/shell-interpolate.js';
import { interpolateText, resolveDefaults } from '../runbook/text-interpolate.js';
import type { PipelineRecord } from '../storage/pipeline-store.js';
import type { CreatePipeline, EngineServices, PhaseIo } from './pipeline-engine.js';
import type { PhaseDefinition } from '../core/pipeline-definition.js';
import type { PhaseRecovery } from '../core/pipeline-machine.js';
import { unreachable } from '../core/recovery/index.js';
import { PhaseFailure, runPhase, type PhaseOutcome, type PhaseRunContext, type PhaseStep, type PhaseSteps } from './phase-runner.js';

/** What the runtime needs to know about a project's current runbooks. */
export interface ProjectView {
  /** File-level `[events]` hooks of a runbook file. */
  fileHooks(runbook: string): Record<string, string>;
  maxPhaseVisits: number;
  /** The `run` of a runbook `[action.<name>]` as seen from a runbook file, if one is defined. */
  action(name: string, fromRunbook: string): string | null;
}

/** Adds steps to a phase for the parts of its definition it handles. */
export interface PhaseStepFactory {
  gates?(phase: PhaseDefinition, record: PipelineRecord): PhaseStep[];
  work?(phase: PhaseDefinition, record: PipelineRecord): PhaseStep | null;
  checks?(phase: PhaseDefinition, record: PipelineRecord): PhaseStep[];
}

export interface RuntimeOptions {
  stateDir: string;
  logger: Logger;
  events: EventLog;
  /** Starts every child of a pipeline (phases, hooks, recovery actions) and builds its environment. */
  shellRunner: ShellRunner;
  /** The project as last loaded (no comparison with its files: see ProjectRegistry.current). */
  project(root: string): ProjectView | null;
  /** The strategy checkpoint a pipeline last took, if any (the built-in rollback's target). */
  lastCheckpoint?: (pipelineId: string) => string | null;
  /** Called when a pipeline ends, after the runtime's own clean-up. */
  onFinished?: (record: PipelineRecord, status: 'done' | 'failed' | 'cancelled') => void;
}

/** Hook names of the engine, and the file-level `[events]` keys that also fire for them. */
const FILE_HOOK_ALIASES: Record<string, string[]> = {
  on_phase: ['on_phase', 'on_phase_change'],
  on_complete: ['on_complete'],
  on_fail: ['on_fail'],
  on_cancel: ['on_cancel'],
};

export class PipelineRuntime implements EngineServices {
  private readonly factories: PhaseStepFactory[] = [];

  constructor(private readonly o: RuntimeOptions) {}

  addSteps(factory: PhaseStepFactory): void {
    this.factories.push(factory);
  }

  maxPhaseVisits(project: string): number {
    return this.o.project(project)?.maxPhaseVisits ?? 5;
  }

  resolveVars(c: CreatePipeline, names: { key: string; handle: string }): { vars: Record<string, JsonValue>; workspace: string | null } {
    const d = c.definition;
    // workspace and branch have engine defaults that a pipeline's own defaults override:
    // named after the key, unique across projects (two projects may share a repository).
    const fallback = { workspace: join(this.o.stateDir, 'workspaces', names.key), branch: `oj/${names.key}` };
    const runtime = { pipeline: names.handle, name: names.handle, project_root: c.project };
    const ctx = pipelineContext({ inputs: { ...(c.vars ?? {}), ...c.inputs }, runtime });
    const defaults = resolveDefaults(d.defaults, ctx);
    const vars: Record<string, JsonValue> = { ...fallback, ...runtime, ...(c.vars ?? {}), ...c.inputs, ...defaults };
    const declared = 'workspace' in d.defaults || 'branch' in d.defaults;
    if (typeof vars.workspace === 'string' && !isAbsolute(vars.workspace)) vars.workspace = resolve(c.project, vars.workspace);
    return { vars, workspace: declared ? String(vars.workspace) : null };
  }

  /** The interpolation context of a pipeline, plus values of the moment. */
  context(record: PipelineRecord, extra: Record<string, unknown> = {}): InterpolationContext {
    return pipelineContext({
      inputs: asWords(record.vars),
      runtime: {
        phase: record.state.phase,
        error: record.state.error ?? '',
        pipeline: record.state.handle,
        id: record.state.handle,
        ...extra,
      },
    });
  }

  async prepareWorkspace(record: PipelineRecord): Promise<void> {
    const ws = record.workspace;
    if (!ws) return;
    const branch = typeof record.vars.branch === 'string' ? record.vars.branch : `oj/${record.state.id}`;
    mkdirSync(dirname(ws), { recursive: true });
    try {
      await addWorktree(record.project, ws, branch);
    } catch (err) {
      if (err instanceof NoCommitError) throw new Error(`${err.message}, then oj pipeline resume ${record.state.handle}`, { cause: err });
      throw err;
    }
    grantOjToAgents(record.project, ws);
  }

  /** cwd of a phase: its own `cwd`, else the workspace once it exists, else the project root. */
  private cwdFor(record: PipelineRecord, phase: PhaseDefinition | null): string {
    if (phase?.cwd) {
      const c = interpolateText(phase.cwd, this.context(record));
      return isAbsolute(c) ? c : resolve(record.project, c);
    }
    const ws = typeof record.vars.workspace === 'string' ? record.vars.workspace : null;
    if (ws && isDir(ws)) return ws;
    return record.project;
  }

  /**
   * The environment of the pipeline's processes (child-env.ts): the daemon's
   * own (minus OJ_*), then the pipeline's `env` layers (see PipelineEnv), then
   * OJ_*. Throws when a set value's placeholder cannot be filled.
   */
  env(record: PipelineRecord, phase: string | null): ChildEnv {
    const layers: Record<string, string>[] = [];
    const env = record.definition.env;
    if (env) {
      const context = this.context(record, phase !== null ? { phase } : {});
      try {
        layers.push(env.passed, filledEnv(env.set, (template) => interpolateText(template, context)), env.command);
      } catch (err) {
        if (!(err instanceof EnvValueError)) throw err;
        throw new PhaseFailure(`cannot set ${err.variable} from the pipeline's env: ${err.reason}`);
      }
    }
    const ws = typeof record.vars.workspace === 'string' ? record.vars.workspace : '';
    return this.o.shellRunner.env({
      project: record.project,
      layers,
      oj: { OJ_PIPELINE: record.state.id, OJ_PHASE: phase ?? '', OJ_WORKSPACE: ws },
    });
  }

  /** env() for a hook or recovery command: null (logged) when it cannot be built. */
  private envOrNull(record: PipelineRecord, phase: string | null, logFile: string, what: string): ChildEnv | null {
    try {
      return this.env(record, phase);
    } catch (err) {
      appendLog(logFile, `[${what}] not run: ${(err as Error).message}`);
      this.o.logger.warn('command not run', { pipeline: record.state.id, what, error: (err as Error).message });
      return null;
    }
  }

  startPhase(record: PipelineRecord, phase: PhaseDefinition, run: number, logFile: string, io: PhaseIo) {
    let stopReason: string | null = null;
    let stopResolve: (r: string) => void = () => {};
    const stopSignal = new Promise<string>((r) => (stopResolve = r));
    const stop = (reason: string) => {
      if (stopReason !== null) return;
      stopReason = reason;
      stopResolve(reason);
    };
    const ctx: PhaseRunContext = {
      record,
      phase,
      run,
      logFile,
      shell: (template, extra) => interpolateShell(template, this.context(record, extra)),
      text: (template, extra) => interpolateText(template, this.context(record, extra)),
      get cwd() {
        return cwdOf();
      },
      get env() {
        return (env ??= envOf());
      },
      shellRunner: this.o.shellRunner,
      waiting: io.waiting,
      running: io.running,
      processGroup: io.processGroup,
      get stopped() {
        return stopReason !== null;
      },
      stopSignal,
      abort: stop,
      escalate: io.escalate,
    };
    const cwdOf = () => this.cwdFor(record, phase);
    let env: ChildEnv | undefined;
    const envOf = () => this.env(record, phase.name);
    const steps = this.stepsFor(phase, record);
    const done: Promise<PhaseOutcome> = runPhase(ctx, steps);
    return { stop, done };
  }

  private stepsFor(phase: PhaseDefinition, record: PipelineRecord): PhaseSteps {
    const gates: PhaseStep[] = [];
    const checks: PhaseStep[] = [];
    let work: PhaseStep | null = null;
    for (const f of this.factories) {
      gates.push(...(f.gates?.(phase, record) ?? []));
      checks.push(...(f.checks?.(phase, record) ?? []));
      work ??= f.work?.(phase, record) ?? null;
    }
    if (!work) {
      if (phase.run !== undefined) work = shellWork;
      else if (phase.agent || phase.strategy) {
        const what = phase.agent ? `agent ${phase.agent}` : `strategy ${phase.strategy}`;
        work = async () => {
          throw new PhaseFailure(`this daemon cannot run ${what} yet`);
        };
      } else work = async () => {};
    }
    return { gates, work, checks };
  }

  finished(record: PipelineRecord, status: 'done' | 'failed' | 'cancelled'): void {
    // On success the workspace goes: the one the engine created, or one a phase
    // created at the default place under the state dir. On failure it stays for inspection.
    const ws = typeof record.vars.workspace === 'string' ? record.vars.workspace : null;
    const ours = ws !== null && (record.workspace === ws || ws.startsWith(join(this.o.stateDir, 'workspaces')));
    if (status === 'done' && ws && ours && existsSync(ws)) {
      {
        removeWorktree(record.project, ws).then(
          () => this.o.logger.info('workspace removed', { pipeline: record.state.id, workspace: ws }),
          (err: unknown) => {
            this.o.logger.warn('workspace not removed', { pipeline: record.state.id, workspace: ws, error: String(err) });
            if (ws.startsWith(join(this.o.stateDir, 'workspaces'))) rmSync(ws, { recursive: true, force: true });
          },
        );
      }
    }
    this.o.onFinished?.(record, status);
  }

  runHook(record: PipelineRecord, hook: string, phase: string | null, error: string | null): void {
    const commands: string[] = [];
    const own = record.definition.hooks[hook];
    if (own) commands.push(own);
    const view = this.o.project(record.project);
    const fileHooks = view?.fileHooks(record.runbook) ?? {};
    for (const key of FILE_HOOK_ALIASES[hook] ?? [hook]) {
      const cmd = fileHooks[key];
      if (cmd) commands.push(cmd);
    }
    const logFile = join(this.o.stateDir, 'logs', record.state.id, 'hooks.log');
    for (const template of commands) this.runLogged(record, hook, template, { phase, error }, logFile);
  }

  /**
   * Runs a hook's or a recovery action's command in the pipeline's context
   * (its values plus `phase` and `error`), fire and forget: the command, a
   * placeholder that does not resolve, an environment that cannot be built
   * and a failing exit are written to `logFile` under `[what]` (and warned
   * about in ojd.log).
   */
  private runLogged(record: PipelineRecord, what: string, template: string, at: { phase: string | null; error: string | null }, logFile: string): void {
    let script: string;
    try {
      script = interpolateShell(template, this.context(record, { phase: at.phase ?? '', error: at.error ?? '' }));
    } catch (err) {
      this.o.logger.warn('command not run', { pipeline: record.state.id, what, error: (err as Error).message });
      appendLog(logFile, `[${what}] not run: ${(err as Error).message}`);
      return;
    }
    const env = this.envOrNull(record, at.phase, logFile, what);
    if (!env) return;
    appendLog(logFile, `[${what}] ${script}`);
    const r = this.o.shellRunner.run({ script, cwd: this.cwdFor(record, null), env, logFile });
    r.done.then(
      (o) => {
        if (o.exitCode === 0) return;
        this.o.logger.warn('command failed', { pipeline: record.state.id, what, exitCode: o.exitCode });
        appendLog(logFile, `[${what}] exited ${o.exitCode ?? o.signal}`);
      },
      () => {},
    );
  }

  /**
   * A step of a phase's on_fail chain the machine hands over: a runbook
   * `[action.x]` runs its command (with the pipeline's values, plus `phase`
   * and `error`); the built-in rollback resets the work tree. A step of a
   * chain stored before chains were checked at load that a phase cannot run
   * (nudge, release...) is noted.
   */
  recover(record: PipelineRecord, step: PhaseRecovery, phase: string, error: string): void {
    const logFile = join(this.o.stateDir, 'logs', record.state.id, 'hooks.log');
    switch (step.kind) {
      case 'builtin':
        this.rollback(record, phase, logFile);
        return;
      case 'unsupported':
        this.recoveryNotRun(record, step.name, phase, logFile, 'nothing to do for a pipeline phase');
        return;
      case 'runbook':
        this.recoveryAction(record, step, phase, error, logFile);
        return;
      default:
        unreachable(step);
    }
  }

  private recoveryNotRun(record: PipelineRecord, action: string, phase: string, logFile: string, why: string): void {
    this.o.logger.info(`recovery action not run: ${why}`, { pipeline: record.state.id, action, phase });
    appendLog(logFile, `[on_fail ${action}] ${why}`);
  }

  /** A runbook `[action.x]` step: its command, with the pipeline's values plus `phase` and `error`. */
  private recoveryAction(record: PipelineRecord, step: { name: string; id: string }, phase: string, error: string, logFile: string): void {
    const command = this.o.project(record.project)?.action(step.id, record.runbook);
    if (!command) {
      this.recoveryNotRun(record, step.name, phase, logFile, `action ${step.id} is not defined (any more)`);
      return;
    }
    this.runLogged(record, `on_fail ${step.name}`, command, { phase, error }, logFile);
  }

  /** The built-in rollback of a failed phase: the pipeline's work tree back to its checkpoint or branch start. */
  private rollback(record: PipelineRecord, phase: string, logFile: string): void {
    const id = record.state.id;
    const r = rollbackWorkTree({
      workspace: typeof record.vars.workspace === 'string' ? record.vars.workspace : record.workspace,
      projectRoot: record.project,
      checkpoint: this.o.lastCheckpoint?.(id) ?? null,
    });
    if (r.ok) {
      appendLog(logFile, `[on_fail rollback] ${r.workspace} reset from ${r.from} to ${r.to} (${r.target})`);
      this.o.events.emit({ name: 'pipeline:rollback', subject: id, project: record.project, data: { pipeline: record.state.handle, phase, outcome: 'done', workspace: r.workspace, from: r.from, to: r.to, target: r.target } });
    } else {
      appendLog(logFile, `[on_fail rollback] nothing rolled back: ${r.reason}`);
      this.o.logger.warn('rollback: nothing rolled back', { pipeline: id, reason: r.reason });
      this.o.events.emit({ name: 'pipeline:rollback', subject: id, project: record.project, data: { pipeline: record.state.handle, phase, outcome: 'skipped', reason: `pipeline ${record.state.handle}: ${r.reason}` } });
    }
  }
}

/** The work of a shell phase: its `run`, interpolated, in its own process group. */
const shellWork: PhaseStep = async (ctx) => {
  const template = ctx.phase.run ?? '';
  let script: string;
  try {
    script = ctx.shell(template);
  } catch (err) {
    throw new PhaseFailure(`cannot build the command of phase "${ctx.phase.name}": ${(err as Error).message}`);
  }
  const run = ctx.shellRunner.run({
    script,
    cwd: ctx.cwd,
    env: ctx.env,
    logFile: ctx.logFile,
    ...(ctx.phase.timeoutMs ? { timeoutMs: ctx.phase.timeoutMs } : {}),
    // No output listener: bash writes straight to the log file (no pipe, nothing
    // through the spawner or ojd); followers read the log at their own pace (output-feed.ts).
    onStarted: (pgid, start) => ctx.processGroup(pgid, start),
  });
  void ctx.stopSignal.then((reason) => run.stop(reason));
  const o = await run.done;
  if (o.stoppedBecause) throw new PhaseFailure(o.timedOut ? `timed out after ${ctx.phase.timeoutMs} ms` : `stopped: ${o.stoppedBecause}`, o.exitCode);
  if (o.startError) throw new PhaseFailure(o.startError);
  if (o.exitCode !== 0) throw new PhaseFailure(o.signal ? `killed by ${o.signal}` : `exit code ${o.exitCode}`, o.exitCode);
};

/**
 * Lists of strings (variadic command arguments) stay word lists in a
 * pipeline's context: bare in a shell string each is its own quoted word.
 */
export function asWords(vars: Record<string, JsonValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) {
    out[k] = Array.isArray(v) && v.every((x) => typeof x === 'string') ? new WordList(v as string[]) : v;
  }
  return out;
}

function isDir(p: string): boolean {
  try {
    // No exception for a path that is not there (most pipelines have no workspace dir): they cost.
    return statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}
