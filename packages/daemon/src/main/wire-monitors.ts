/**
 * Plugs monitors into the daemon: on every cron tick the cron's monitors
 * run (monitors/monitor-runner.ts); built-in actions reach the other
 * capabilities through the daemon's own RPC methods. The runner (scripts,
 * chains, built-in actions) is loaded the first time a cron with monitors
 * ticks; counts and the status overview read the monitors' table.
 */
import type { OverviewSection } from '@oj/protocol';
import { lazyImport } from '../lazy-module.js';
import type { MonitorRunner } from '../monitors/monitor-runner.js';
import { MonitorStore } from '../storage/monitor-store.js';
import type { Capability, WiringContext } from './wiring.js';

const loadMonitors = lazyImport('the monitor runner', async () => {
  const [{ MonitorRunner }, { localCaller }] = await Promise.all([import('../monitors/monitor-runner.js'), import('../monitors/local-rpc.js')]);
  return { MonitorRunner, localCaller };
});

export function wireMonitors(ctx: WiringContext): Capability {
  const store = new MonitorStore(ctx.storage.database);
  let loaded: MonitorRunner | null = null;
  const runner = async (): Promise<MonitorRunner> => {
    const { MonitorRunner, localCaller } = await loadMonitors();
    return (loaded ??= new MonitorRunner({
      storage: ctx.storage,
      events: ctx.events,
      projects: ctx.projects,
      logger: ctx.logger,
      shell: { stateDir: ctx.stateDir, logger: ctx.logger, shellRunner: ctx.shellRunner },
      builtins: { call: localCaller(ctx.router), engine: ctx.engine, events: ctx.events, storage: ctx.storage, lastCheckpoint: ctx.lastCheckpoint },
      now: ctx.now,
    }));
  };
  let stopped = false;
  const off = ctx.cronTicks.add((tick) => (stopped || tick.cron.monitors.length === 0 ? undefined : runner().then((r) => r.tick(tick))));
  return {
    stop() {
      stopped = true;
      off();
    },
    counts: () => ({ 'monitors.items': store.list().filter((r) => r.actions > 0 && r.last_action !== 'protected').length }),
    overview(project): Record<string, OverviewSection> {
      const rows = store.list({ project }).filter((r) => r.actions > 0);
      if (rows.length === 0) return {};
      return {
        monitors: {
          title: 'Monitors acting on items',
          rows: rows.map((r) => ({
            monitor: r.monitor.split('.').pop() ?? r.monitor,
            item: r.item_key.slice(0, 40),
            actions: r.actions,
            last: r.last_action ?? '',
            state: r.exhausted ? 'chain exhausted' : r.settle_until && r.settle_until > ctx.now() ? 'cooling down' : 'watching',
          })),
        },
      };
    },
  };
}
