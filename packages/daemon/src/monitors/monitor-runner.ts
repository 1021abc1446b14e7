/**
 * One pass of a monitor, run on each tick of a cron that lists it:
 *
 * 1. run `source` and read its items (monitor-items.ts); a source that fails
 *    changes nothing (chains are not reset because a listing failed);
 * 2. run `condition` per item with the item's fields interpolated
 *    (injection-safe); exit 0 = match;
 * 3. per matching item: the direct `action` (the action "clean"), or one step
 *    of the `response` chain (chain-progress.ts), its progress kept in
 *    `monitor_items`; a file's `[safety]` protects paths and rehearses first;
 * 4. per item that no longer matches (or is no longer listed) once its last
 *    action has settled: the chain starts over (`monitor:recovered`).
 *
 * Every action taken is an `action:<name>` event about the item's pipeline
 * (else its session, else its key) and runs the cron's `on_<name>` hooks.
 */
import type { Logger } from 'winston';
import { runShell } from '../adapters/shell-runner.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import type { EventLog } from '../events/event-log.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { CronTick } from '../queues/cron-tick-hooks.js';
import { appendLog, childEnv, logFileFor, runHooks, type ShellHost } from '../queues/child-env.js';
import { createContext, interpolateShell, type Action, type ChainStep, type Cron, type Monitor, type Project } from '../runbook/index.js';
import { MonitorStore, type MonitorItemRow } from '../storage/monitor-store.js';
import type { Storage } from '../storage/storage.js';
import { releaseEscalation, runBuiltin, type ActionOutcome, type BuiltinDeps } from './builtin-actions.js';
import { afterAct, afterSkip, allowance, decide, recovered, type Decision, type Progress, type StepSpec } from './chain-progress.js';
import type { LocalCall } from './local-rpc.js';
import { itemKey, itemPaths, itemTargets, parseSourceOutput, type Item, type ItemTargets } from './monitor-items.js';
import { protectedPaths, type ProtectedPaths } from './protected-paths.js';

export interface MonitorRunnerDeps {
  storage: Storage;
  events: EventLog;
  engine: PipelineEngine;
  projects: ProjectRegistry;
  logger: Logger;
  shell: ShellHost;
  call: LocalCall;
  now(): number;
}

const SOURCE_TIMEOUT_MS = 2 * 60_000;
const CONDITION_TIMEOUT_MS = 60_000;
const ACTION_TIMEOUT_MS = 10 * 60_000;
const CONDITION_CONCURRENCY = 8;
/** The action a monitor's direct `action` command counts as (event `action:clean`, hook `on_clean`). */
export const DIRECT_ACTION = 'clean';

interface Step extends StepSpec {
  chain: ChainStep;
  /** The runbook action that replaces the built-in (a run-less one only tunes it). */
  runbook: Action | null;
}

/** What one monitor pass works with. */
interface Pass {
  project: Project;
  root: string;
  cron: Cron;
  monitor: Monitor;
  steps: Step[] | null;
  guard: ProtectedPaths | null;
  dryRun: 'first' | 'always' | 'off';
  logFile: string;
  env: Record<string, string>;
  source: string;
  waitName: string;
}

export class MonitorRunner {
  readonly store: MonitorStore;
  private readonly builtins: BuiltinDeps;
  private readonly running = new Set<string>();

  constructor(private readonly d: MonitorRunnerDeps) {
    this.store = new MonitorStore(d.storage.database);
    this.builtins = { call: d.call, engine: d.engine, events: d.events, storage: d.storage };
  }

  /**
   * The cron tick hook: the cron's monitors, side by side (they are
   * independent; one monitor never runs twice at once). Rejects, naming
   * them, if some could not run.
   */
  async tick(tick: CronTick): Promise<void> {
    if (tick.cron.monitors.length === 0) return;
    const project = this.d.projects.get(tick.project);
    const errors: string[] = [];
    await Promise.all(
      tick.cron.monitors.map(async (ref) => {
        let monitor: Monitor;
        try {
          monitor = project.deref('monitor', ref);
        } catch (err) {
          errors.push(`monitor ${ref.ref}: ${(err as Error).message}`);
          return;
        }
        const key = `${tick.project}\0${monitor.id}`;
        if (this.running.has(key)) {
          this.d.logger.info('monitor still running from another cron; skipped', { monitor: monitor.name, cron: tick.cron.name });
          return;
        }
        this.running.add(key);
        try {
          await this.run(this.pass(project, tick, monitor));
        } catch (err) {
          const message = (err as Error).message;
          errors.push(`monitor ${monitor.name}: ${message}`);
          this.d.logger.warn('monitor failed', { project: tick.project, monitor: monitor.name, error: message });
          this.d.events.emit({ name: 'monitor:error', subject: monitor.name, project: tick.project, data: { monitor: monitor.name, cron: tick.cron.name, error: message } });
        } finally {
          this.running.delete(key);
        }
      }),
    );
    // Chains of monitors the runbooks no longer define are forgotten.
    this.d.storage.write(() => this.store.deleteExcept(tick.project, project.all('monitor').map((m) => m.id)));
    if (errors.length) throw new Error(errors.join('; '));
  }

  private pass(project: Project, tick: CronTick, monitor: Monitor): Pass {
    const file = project.files.find((f) => f.name === monitor.file);
    const safety = file?.safety;
    const steps = monitor.response?.map((s) => this.stepOf(project, s)) ?? null;
    return {
      project,
      root: tick.project,
      cron: tick.cron,
      monitor,
      steps,
      guard: safety && safety.protected.length ? protectedPaths(safety.protected, tick.project) : null,
      dryRun: safety?.dry_run ?? 'off',
      logFile: logFileFor(this.d.shell, tick.project, 'crons', tick.cron.name),
      env: childEnv(this.d.shell, tick.project, { OJ_CRON: tick.cron.name, OJ_MONITOR: monitor.name }),
      source: `monitor:${monitor.name}`,
      waitName: `monitor:${monitor.name}`,
    };
  }

  private stepOf(project: Project, s: ChainStep): Step {
    const found = s.id !== null ? project.get(s.id) : undefined;
    const action = found?.kind === 'action' ? found : null;
    return {
      action: s.action,
      chain: s,
      runbook: action && !s.builtin && action.run !== '' ? action : null,
      allowance: allowance(s.max, action?.max_attempts ?? null),
      cooldownMs: action?.cooldown.ms ?? 0,
    };
  }

  private async run(p: Pass): Promise<void> {
    const items = await this.items(p);
    const matches = await mapLimit([...items], CONDITION_CONCURRENCY, async ([key, item]) => [key, await this.matches(p, item)] as const);
    const rows = new Map(this.store.list({ project: p.root, monitor: p.monitor.id }).map((r) => [r.item_key, r]));
    let matched = 0;
    for (const [key, isMatch] of matches) {
      const item = items.get(key)!;
      if (isMatch) {
        matched++;
        await this.onMatch(p, key, item, rows.get(key));
      } else {
        const row = rows.get(key);
        if (row) this.onClear(p, row, item);
      }
    }
    for (const [key, row] of rows) if (!items.has(key)) this.onClear(p, row, null);
    this.d.logger.debug('monitor pass', { project: p.root, monitor: p.monitor.name, items: items.size, matched });
  }

  // ---- source and condition

  private async items(p: Pass): Promise<Map<string, Item>> {
    const out = new Map<string, Item>();
    if (p.monitor.source === null) {
      out.set('', {});
      return out;
    }
    const script = interpolateShell(p.monitor.source, this.context(p, {}, null));
    const r = await this.sh(p, script, SOURCE_TIMEOUT_MS, true);
    if (r.exitCode !== 0) {
      appendLog(p.logFile, `[monitor ${p.monitor.name}] source failed (${r.why}): ${r.stderr.trim().slice(-500)}`);
      throw new Error(`source failed (${r.why})${r.stderr.trim() ? `: ${lastLine(r.stderr)}` : ''}`);
    }
    for (const item of parseSourceOutput(r.stdout)) {
      const key = itemKey(item);
      if (!out.has(key)) out.set(key, item);
    }
    return out;
  }

  private async matches(p: Pass, item: Item): Promise<boolean> {
    if (p.monitor.condition === null) return true;
    let script: string;
    try {
      script = interpolateShell(p.monitor.condition, this.context(p, item, itemTargets(item)));
    } catch (err) {
      this.d.logger.warn('monitor condition not run', { monitor: p.monitor.name, item: itemKey(item), error: (err as Error).message });
      return false;
    }
    const r = await this.sh(p, script, CONDITION_TIMEOUT_MS, false);
    return r.exitCode === 0;
  }

  // ---- a matching item

  private async onMatch(p: Pass, key: string, item: Item, existing: MonitorItemRow | undefined): Promise<void> {
    const now = this.d.now();
    const targets = itemTargets(item);
    const row: MonitorItemRow = existing ?? {
      project: p.root,
      monitor: p.monitor.id,
      item_key: key,
      step: 0,
      used: 0,
      actions: 0,
      last_action: null,
      last_action_at: null,
      settle_until: null,
      exhausted: 0,
      matched_at: now,
      last_match_at: null,
      seen_at: now,
      previewed_at: null,
      data: '{}',
    };
    row.seen_at = now;
    row.last_match_at = now;
    row.data = JSON.stringify(item);
    const save = () => this.d.storage.write(() => this.store.save(row));

    const hit = p.guard ? itemPaths(item).map((x) => p.guard!.match(x)).find((x) => x !== null) : undefined;
    if (hit) {
      if (row.last_action !== 'protected') {
        row.last_action = 'protected';
        row.exhausted = 1;
        this.d.logger.warn('monitor left a protected path alone', { monitor: p.monitor.name, item: key, protected: hit });
        appendLog(p.logFile, `[monitor ${p.monitor.name}] ${key}: protected by [safety] (${hit}); left alone`);
        this.d.storage.write(() => {
          this.store.save(row);
          this.emit(p, 'monitor:protected', key, targets, { protected: hit, paths: itemPaths(item).join(' ') });
        });
      } else save();
      return;
    }
    if (row.last_action === 'protected') {
      // No longer protected (the [safety] table changed): handled like a new match.
      Object.assign(row, { step: 0, used: 0, settle_until: null, exhausted: 0, last_action: null, previewed_at: null, matched_at: now });
    }

    if (p.dryRun === 'always' || (p.dryRun === 'first' && row.previewed_at === null)) {
      if (row.previewed_at === null) {
        row.previewed_at = now;
        const would = this.preview(p, item, targets, row);
        appendLog(p.logFile, `[monitor ${p.monitor.name}] dry run: ${key}: would ${would}`);
        this.d.storage.write(() => {
          this.store.save(row);
          this.emit(p, 'monitor:dry-run', key, targets, { would, ...(p.dryRun === 'first' ? { next: 'acts on the next tick if it still matches' } : {}) });
        });
        this.hooks(p, 'dry_run', item, targets, key, { would, reason: `dry run: ${key}` });
      } else save();
      return;
    }

    if (p.steps === null) {
      await this.direct(p, key, item, targets, row);
      return;
    }
    await this.chainStep(p, key, item, targets, row);
  }

  private preview(p: Pass, item: Item, targets: ItemTargets, row: MonitorItemRow): string {
    if (p.steps === null) {
      try {
        return `run: ${interpolateShell(p.monitor.action ?? '', this.context(p, item, targets))}`;
      } catch (err) {
        return `run the action (it does not interpolate: ${(err as Error).message})`;
      }
    }
    const d = decide(p.steps, progressOf(row), Number.MAX_SAFE_INTEGER);
    return d.kind === 'act' ? `${d.action}${d.of > 1 ? ` (${d.attempt}/${d.of})` : ''}` : 'nothing (chain exhausted)';
  }

  private async direct(p: Pass, key: string, item: Item, targets: ItemTargets, row: MonitorItemRow): Promise<void> {
    const reason = `${p.monitor.name}: ${key} matches`;
    const outcome = await this.runScript(p, p.monitor.action ?? '', item, targets, key, { reason, action: DIRECT_ACTION });
    const now = this.d.now();
    row.actions += 1;
    row.last_action = DIRECT_ACTION;
    row.last_action_at = now;
    this.record(p, row, DIRECT_ACTION, key, targets, outcome, {});
    this.hooks(p, DIRECT_ACTION, item, targets, key, { reason, ...outcomeValues(outcome) });
  }

  private async chainStep(p: Pass, key: string, item: Item, targets: ItemTargets, row: MonitorItemRow): Promise<void> {
    const steps = p.steps!;
    let progress = progressOf(row);
    for (let guard = 0; guard <= steps.length; guard++) {
      const now = this.d.now();
      const d: Decision = decide(steps, progress, now);
      if (d.kind !== 'act') {
        applyProgress(row, { ...progress, exhausted: d.kind === 'exhausted' || progress.exhausted });
        this.d.storage.write(() => this.store.save(row));
        return;
      }
      const step = steps[d.step]!;
      const reason =
        row.actions === 0
          ? `${p.monitor.name}: ${key} matches`
          : `${p.monitor.name}: ${key} still matches after ${row.actions} action${row.actions === 1 ? '' : 's'} (last: ${row.last_action})`;
      const outcome = step.runbook
        ? await this.runScript(p, step.runbook.run, item, targets, key, { reason, action: step.action, attempt: d.attempt })
        : await runBuiltin(this.builtins, step.action, { project: p.root, source: p.source, waitName: p.waitName, key, targets, reason });
      if (outcome.kind === 'skip') {
        this.d.logger.debug('monitor step does not apply; next step', { monitor: p.monitor.name, item: key, action: step.action, why: outcome.why });
        progress = afterSkip(steps, d);
        continue;
      }
      const after = afterAct(steps, d, this.d.now());
      applyProgress(row, after);
      row.actions += 1;
      row.last_action = step.action;
      row.last_action_at = this.d.now();
      this.record(p, row, step.action, key, targets, outcome, { step: d.step + 1, attempt: d.attempt, of: d.of, reason });
      this.hooks(p, step.action, item, targets, key, { reason, attempt: d.attempt, ...outcomeValues(outcome) });
      return;
    }
  }

  /** Saves the row and emits `action:<name>` in one transaction. */
  private record(p: Pass, row: MonitorItemRow, action: string, key: string, targets: ItemTargets, outcome: ActionOutcome, extra: Record<string, string | number>): void {
    const ok = outcome.kind === 'done';
    appendLog(p.logFile, `[monitor ${p.monitor.name}] ${action} ${key}: ${outcome.kind === 'done' ? outcome.detail : outcome.kind === 'failed' ? `failed: ${outcome.error}` : outcome.why}`);
    if (!ok) this.d.logger.warn('monitor action failed', { monitor: p.monitor.name, item: key, action, error: outcome.kind === 'failed' ? outcome.error : '' });
    this.d.storage.write(() => {
      this.store.save(row);
      this.emit(p, `action:${action}`, key, targets, {
        ...extra,
        ok: ok ? 1 : 0,
        ...(outcome.kind === 'done' ? { detail: outcome.detail } : outcome.kind === 'failed' ? { error: outcome.error } : {}),
      });
    });
  }

  // ---- an item that no longer matches

  private onClear(p: Pass, row: MonitorItemRow, item: Item | null): void {
    const now = this.d.now();
    if (!recovered(progressOf(row), now)) {
      if (item) {
        row.seen_at = now;
        this.d.storage.write(() => this.store.save(row));
      }
      return;
    }
    const tookAction = row.actions > 0;
    const targets = itemTargets(parseData(row.data));
    this.d.storage.write(() => {
      this.store.delete(p.root, p.monitor.id, row.item_key);
      if (tookAction) this.emit(p, 'monitor:recovered', row.item_key, targets, { actions: row.actions, last: row.last_action ?? '', listed: item ? 1 : 0 });
    });
    if (tookAction && row.last_action === 'escalate') {
      try {
        releaseEscalation(this.builtins, p.root, targets.pipeline, p.waitName);
      } catch (err) {
        this.d.logger.warn('could not put the escalated pipeline back to running', { pipeline: targets.pipeline, error: String(err) });
      }
    }
  }

  // ---- helpers

  private emit(p: Pass, name: string, key: string, t: ItemTargets, data: Record<string, string | number>): void {
    this.d.events.emit({
      name,
      subject: t.pipeline ?? t.session ?? key,
      project: p.root,
      data: {
        monitor: p.monitor.name,
        source: p.source,
        cron: p.cron.name,
        item: key,
        ...(t.pipeline ? { pipeline: t.pipeline } : {}),
        ...(t.session ? { session: t.session } : {}),
        ...data,
      },
    });
  }

  private context(p: Pass, item: Item, t: ItemTargets | null, extra: Record<string, unknown> = {}) {
    const runtime: Record<string, unknown> = {
      project_root: p.root,
      monitor: p.monitor.name,
      cron: p.cron.name,
      item,
      key: itemKey(item),
      ...extra,
    };
    const targets: Record<string, unknown> = t ? { pipeline: t.pipeline, session: t.session, phase: t.phase } : {};
    return createContext({ name: 'runtime', values: extra }, { name: 'item', values: item }, { name: 'monitor', values: { ...runtime, ...targets } });
  }

  private async runScript(
    p: Pass,
    template: string,
    item: Item,
    targets: ItemTargets,
    key: string,
    extra: Record<string, string | number>,
  ): Promise<ActionOutcome> {
    let script: string;
    try {
      script = interpolateShell(template, this.context(p, item, targets, extra));
    } catch (err) {
      return { kind: 'failed', error: `cannot build the command: ${(err as Error).message}` };
    }
    appendLog(p.logFile, `[monitor ${p.monitor.name}] ${extra.action ?? 'run'} ${key}: ${script}`);
    const r = await this.sh(p, script, ACTION_TIMEOUT_MS, true);
    return r.exitCode === 0 ? { kind: 'done', detail: `ran: ${firstLine(script)}` } : { kind: 'failed', error: `${r.why}${r.stderr.trim() ? `: ${lastLine(r.stderr)}` : ''}` };
  }

  private hooks(p: Pass, action: string, item: Item, t: ItemTargets, key: string, extra: Record<string, unknown>): void {
    const hook = `on_${action.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
    const commands = p.project.hooks(p.cron, hook);
    if (!commands.length) return;
    runHooks(this.d.shell, {
      project: p.root,
      hook,
      commands,
      values: {
        ...item,
        monitor: p.monitor.name,
        cron: p.cron.name,
        action,
        key,
        item,
        name: typeof item.name === 'string' ? item.name : (t.pipeline ?? key),
        pipeline: t.pipeline ?? '',
        session: t.session ?? '',
        phase: t.phase ?? '',
        error: '',
        project_root: p.root,
        ...extra,
      },
      logFile: p.logFile,
      subject: `monitor ${p.monitor.name}`,
    });
  }

  private async sh(
    p: Pass,
    script: string,
    timeoutMs: number,
    keepStdout: boolean,
  ): Promise<{ exitCode: number | null; stdout: string; stderr: string; why: string }> {
    let stdout = '';
    let stderr = '';
    const run = runShell({
      script,
      cwd: p.root,
      env: p.env,
      timeoutMs,
      onOutput: (data, stream) => {
        if (stream === 'stdout') {
          if (keepStdout) stdout += data;
        } else if (stderr.length < 20_000) stderr += data;
      },
    });
    const o = await run.done;
    const why = o.timedOut ? `timed out after ${Math.round(timeoutMs / 1000)}s` : o.signal ? `killed by ${o.signal}` : `exit code ${o.exitCode}`;
    return { exitCode: o.exitCode, stdout, stderr, why };
  }
}

function progressOf(row: MonitorItemRow): Progress {
  return { step: row.step, used: row.used, settleUntil: row.settle_until, exhausted: row.exhausted === 1 };
}

function applyProgress(row: MonitorItemRow, p: Progress): void {
  row.step = p.step;
  row.used = p.used;
  row.settle_until = p.settleUntil;
  row.exhausted = p.exhausted ? 1 : 0;
}

function outcomeValues(o: ActionOutcome): Record<string, string> {
  return o.kind === 'failed' ? { error: o.error, outcome: 'failed' } : { outcome: o.kind === 'done' ? 'done' : 'skipped' };
}

function parseData(text: string): Item {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Item) : {};
  } catch {
    return {};
  }
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
