/**
 * The shell around the monitored-item machine (core/monitor): load the
 * item's row, step it, write the new state (or delete the row) and its
 * events in one transaction, and carry out the effects after the commit.
 * An `act` effect runs the action (a runbook action's script, the direct
 * `action`, or a built-in) and its outcome is stepped in turn, until the item
 * asks for nothing more this tick.
 */
import type { Logger } from 'winston';
import { unreachable } from '../core/recovery/index.js';
import { blankItemState, step, type Act, type ActOutcome, type MonitorItemEffect, type MonitorItemEvent } from '../core/monitor/index.js';
import type { EventLog } from '../events/event-log.js';
import { appendLog } from '../adapters/shell-host.js';
import type { MonitorStore } from '../storage/monitor-store.js';
import type { Storage } from '../storage/storage.js';
import { releaseEscalation, runBuiltin, type BuiltinDeps } from './builtin-actions.js';
import { toRow, toState } from './monitor-item-rows.js';
import { itemPaths, itemTargets, type Item, type ItemTargets } from './monitor-items.js';
import type { Pass } from './monitor-pass.js';
import type { MonitorScripts } from './monitor-scripts.js';

export interface MonitorItemStepsDeps {
  storage: Storage;
  events: EventLog;
  logger: Logger;
  store: MonitorStore;
  scripts: MonitorScripts;
  builtins: BuiltinDeps;
  now(): number;
}

/** The item as this tick sees it: as listed now, or (clear) as last stored. */
interface View {
  item: Item;
  targets: ItemTargets;
}

export class MonitorItemSteps {
  constructor(private readonly d: MonitorItemStepsDeps) {}

  /** A listed item whose condition matched: its step for this tick, and the actions that asks for. */
  async match(p: Pass, key: string, item: Item): Promise<void> {
    const view: View = { item, targets: itemTargets(item) };
    const paths = itemPaths(item);
    const protectedBy = p.guard ? (paths.map((x) => p.guard!.match(x)).find((x) => x !== null) ?? null) : null;
    let event: MonitorItemEvent = {
      type: 'match',
      data: JSON.stringify(item),
      protectedBy,
      paths,
      directPreview: p.steps === null && p.settings.dryRun !== 'off' ? this.d.scripts.preview(p, item, view.targets) : '',
    };
    for (;;) {
      const act = this.apply(p, key, event, view);
      if (!act) return;
      const outcome = await this.act(p, key, view, act);
      if (outcome.kind === 'skip') {
        this.d.logger.debug('monitor step does not apply; next step', { monitor: p.monitor.name, item: key, action: act.action, why: outcome.why });
      }
      event = { type: 'acted', act, outcome };
    }
  }

  /** An item with state that no longer matches (`listed`) or is no longer listed. */
  clear(p: Pass, key: string, listed: boolean): void {
    this.apply(p, key, { type: 'clear', listed }, null);
  }

  /**
   * One step of the item in one transaction; the effects after the commit.
   * Returns the action the step asks for, if any.
   */
  private apply(p: Pass, key: string, event: MonitorItemEvent, view: View | null): Act | null {
    const acts: Act[] = [];
    this.d.storage.write(() => {
      const now = this.d.now();
      const row = this.d.store.get(p.root, p.monitor.id, key);
      if (!row && event.type === 'clear') return;
      const state = row ? toState(row) : blankItemState(key, now);
      const seen = view ?? storedView(state.data);
      const t = step(state, p.settings, event, now);
      if (t.state === null) this.d.store.delete(p.root, p.monitor.id, key);
      else if (t.state !== state) this.d.store.save(toRow(p.root, p.monitor.id, t.state));
      for (const e of t.events) this.emit(p, e.name, key, seen.targets, e.data);
      this.d.storage.afterCommit(() => {
        for (const e of t.effects) {
          if (e.type === 'act') acts.push(e.act);
          else this.execute(p, key, seen, e);
        }
      });
    });
    return acts[0] ?? null;
  }

  private execute(p: Pass, key: string, v: View, e: Exclude<MonitorItemEffect, { type: 'act' }>): void {
    switch (e.type) {
      case 'log':
        appendLog(p.logFile, e.line);
        if (e.warn) this.d.logger.warn(e.warn.message, e.warn.detail);
        break;
      case 'hook':
        this.d.scripts.hooks(p, e.action, v.item, v.targets, key, e.values);
        break;
      case 'releaseEscalation':
        try {
          releaseEscalation(this.d.builtins, p.root, v.targets.pipeline, p.waitName);
        } catch (err) {
          this.d.logger.warn('could not put the escalated pipeline back to running', { pipeline: v.targets.pipeline, error: String(err) });
        }
        break;
    }
  }

  /** Runs the action a step asked for: the direct action, a runbook action's script, or a built-in. */
  private act(p: Pass, key: string, v: View, act: Act): Promise<ActOutcome> {
    if (act.step === null) return this.d.scripts.run(p, p.monitor.action ?? '', v.item, v.targets, key, { reason: act.reason, action: act.action });
    const s = p.steps?.[act.step];
    if (!s) return Promise.resolve({ kind: 'failed', error: `the chain has no step ${act.step + 1}` });
    switch (s.does.kind) {
      case 'runbook':
        if (!s.runbook) return Promise.resolve({ kind: 'failed', error: `action ${s.does.id} is not defined` });
        return this.d.scripts.run(p, s.runbook.run, v.item, v.targets, key, { reason: act.reason, action: s.action, attempt: act.attempt });
      case 'builtin':
        return runBuiltin(this.d.builtins, s.does.name, { project: p.root, source: p.source, waitName: p.waitName, key, targets: v.targets, reason: act.reason });
      case 'unsupported':
        // A monitor runs every built-in (core/recovery's table): nothing gets here.
        return Promise.resolve({ kind: 'skip', why: `a monitor cannot ${s.does.name}` });
      default:
        return unreachable(s.does);
    }
  }

  /** An event about the item: its subject is the item's pipeline, else its session, else its key. */
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
}

function storedView(data: string): View {
  const item = parseData(data);
  return { item, targets: itemTargets(item) };
}

function parseData(text: string): Item {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Item) : {};
  } catch {
    return {};
  }
}
