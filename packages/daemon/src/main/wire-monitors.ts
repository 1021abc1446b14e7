/**
 * Plugs monitors into the daemon: on every cron tick the cron's monitors
 * run (monitors/monitor-runner.ts); built-in actions reach the other
 * capabilities through the daemon's own RPC methods.
 */
import type { OverviewSection } from '@oj/protocol';
import { localCaller } from '../monitors/local-rpc.js';
import { MonitorRunner } from '../monitors/monitor-runner.js';
import type { Capability, WiringContext } from './wiring.js';

export function wireMonitors(ctx: WiringContext): Capability {
  const runner = new MonitorRunner({
    storage: ctx.storage,
    events: ctx.events,
    projects: ctx.projects,
    logger: ctx.logger,
    shell: { stateDir: ctx.stateDir, logger: ctx.logger, shellRunner: ctx.shellRunner },
    builtins: { call: localCaller(ctx.router), engine: ctx.engine, events: ctx.events, storage: ctx.storage, lastCheckpoint: ctx.lastCheckpoint },
    now: ctx.now,
  });
  let stopped = false;
  const off = ctx.cronTicks.add((tick) => (stopped ? undefined : runner.tick(tick)));
  return {
    stop() {
      stopped = true;
      off();
    },
    counts: () => ({ 'monitors.items': runner.store.list().filter((r) => r.actions > 0 && r.last_action !== 'protected').length }),
    overview(project): Record<string, OverviewSection> {
      const rows = runner.store.list({ project }).filter((r) => r.actions > 0);
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
