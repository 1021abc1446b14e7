/**
 * One pass of a monitor, run on each tick of a cron that lists it:
 *
 * 1. run `source` and read its items (monitor-items.ts); a source that fails
 *    changes nothing (chains are not reset because a listing failed);
 * 2. run `condition` per item with the item's fields interpolated
 *    (injection-safe); exit 0 = match;
 * 3. per item, what the pass does with it (core/monitor/pass.ts), each
 *    stepped through the item machine (core/monitor/item.ts) by
 *    monitor-item-steps.ts: the direct `action`, one step of the `response`
 *    chain, a `[safety]` rehearsal or refusal, or, for an item that is clear
 *    once its last action has settled, a fresh start (`monitor:recovered`).
 *
 * Every action taken is an `action:<name>` event about the item's pipeline
 * (else its session, else its key) and runs the cron's `on_<name>` hooks.
 */
import type { Logger } from 'winston';
import { passVerdicts } from '../core/monitor/index.js';
import type { EventLog } from '../events/event-log.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { CronTick } from '../crons/cron-tick-hooks.js';
import type { ShellHost } from '../adapters/shell-host.js';
import type { Monitor } from '../runbook/index.js';
import { MonitorStore } from '../storage/monitor-store.js';
import type { Storage } from '../storage/storage.js';
import type { BuiltinDeps } from './builtin-actions.js';
import { MonitorItemSteps } from './monitor-item-steps.js';
import { passOf, type Pass } from './monitor-pass.js';
import { MonitorScripts } from './monitor-scripts.js';

export interface MonitorRunnerDeps {
  storage: Storage;
  events: EventLog;
  projects: ProjectRegistry;
  logger: Logger;
  shell: ShellHost;
  /** What the built-in actions act through. */
  builtins: BuiltinDeps;
  now(): number;
}

const CONDITION_CONCURRENCY = 8;

export class MonitorRunner {
  readonly store: MonitorStore;
  private readonly scripts: MonitorScripts;
  private readonly steps: MonitorItemSteps;
  /** Monitors with a pass under way (project NUL monitor id): one never runs twice at once. */
  private readonly running = new Set<string>();

  constructor(private readonly d: MonitorRunnerDeps) {
    this.store = new MonitorStore(d.storage.database);
    this.scripts = new MonitorScripts({ shell: d.shell, logger: d.logger });
    this.steps = new MonitorItemSteps({ storage: d.storage, events: d.events, logger: d.logger, store: this.store, scripts: this.scripts, builtins: d.builtins, now: d.now });
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
          await this.run(passOf(this.d.shell, project, tick, monitor));
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

  private async run(p: Pass): Promise<void> {
    const items = await this.scripts.items(p);
    const matches = await mapLimit([...items], CONDITION_CONCURRENCY, async ([key, item]) => [key, await this.scripts.matches(p, item)] as const);
    const known = this.store.list({ project: p.root, monitor: p.monitor.id }).map((r) => r.item_key);
    for (const v of passVerdicts(matches, known)) {
      if (v.kind === 'match') await this.steps.match(p, v.key, items.get(v.key)!);
      else this.steps.clear(p, v.key, v.listed);
    }
    this.d.logger.debug('monitor pass', { project: p.root, monitor: p.monitor.name, items: items.size, matched: matches.filter(([, m]) => m).length });
  }
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
