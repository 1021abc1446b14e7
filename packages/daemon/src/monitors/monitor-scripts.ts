/**
 * The shell children of a monitor pass: its `source` (read as items), its
 * `condition` per item (exit 0 = match), the scripts of its actions, and the
 * cron's `on_<action>` hooks. Item fields reach every script through
 * injection-safe interpolation; each runs in its own process group with a
 * timeout, in the project root, logging to the cron's log.
 */
import type { Logger } from 'winston';
import type { ActOutcome } from '../core/monitor/index.js';
import { appendLog, runHooks, type ShellHost } from '../adapters/shell-host.js';
import { createContext, interpolateShell } from '../runbook/index.js';
import { itemKey, itemTargets, parseSourceOutput, type Item, type ItemTargets } from './monitor-items.js';
import type { Pass } from './monitor-pass.js';

const SOURCE_TIMEOUT_MS = 2 * 60_000;
const CONDITION_TIMEOUT_MS = 60_000;
const ACTION_TIMEOUT_MS = 10 * 60_000;

export interface MonitorScriptsDeps {
  shell: ShellHost;
  logger: Logger;
}

export class MonitorScripts {
  constructor(private readonly d: MonitorScriptsDeps) {}

  /** The items the source lists now, by key (the first of equal keys wins); throws when the source fails. */
  async items(p: Pass): Promise<Map<string, Item>> {
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

  /** Whether the condition holds for the item (no condition: always; one that does not interpolate: never). */
  async matches(p: Pass, item: Item): Promise<boolean> {
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

  /** What the monitor's direct `action` would run for the item, in words (for a dry run). */
  preview(p: Pass, item: Item, targets: ItemTargets): string {
    try {
      return `run: ${interpolateShell(p.monitor.action ?? '', this.context(p, item, targets))}`;
    } catch (err) {
      return `run the action (it does not interpolate: ${(err as Error).message})`;
    }
  }

  /** Runs an action's script for the item; `extra` is usable as placeholders. */
  async run(p: Pass, template: string, item: Item, targets: ItemTargets, key: string, extra: Record<string, string | number>): Promise<ActOutcome> {
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

  /** The cron's `on_<action>` hooks, with the item's fields and `extra` as values (fire and forget). */
  hooks(p: Pass, action: string, item: Item, t: ItemTargets, key: string, extra: Record<string, unknown>): void {
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

  private async sh(p: Pass, script: string, timeoutMs: number, keepStdout: boolean): Promise<{ exitCode: number | null; stdout: string; stderr: string; why: string }> {
    let stdout = '';
    let stderr = '';
    const run = this.d.shell.shellRunner.run({
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

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}
