/**
 * The seam for what a cron does on each tick besides its `run`: the monitors
 * capability registers a hook here and runs the cron's `monitors` from it.
 * Hooks are kept per daemon (keyed by its event log), so a capability only
 * needs the WiringContext it is given:
 *
 *   onCronTick(ctx, async (tick) => { for (const m of tick.cron.monitors) ... });
 *
 * A hook's returned promise is awaited; when the cron has no `run`, the
 * run's outcome is the hooks' (failed if one throws or rejects).
 */
import type { Cron } from '../runbook/model.js';

export interface CronTick {
  project: string;
  cron: Cron;
  /** The slot this run is for (null for `oj cron run`). */
  scheduledAt: number | null;
  manual: boolean;
}

export type CronTickHook = (tick: CronTick) => void | Promise<void>;

const registry = new WeakMap<object, CronTickHook[]>();

/** Registers a hook run on every tick of every cron of the daemon `ctx` belongs to. */
export function onCronTick(ctx: { events: object }, hook: CronTickHook): () => void {
  const list = registry.get(ctx.events) ?? [];
  list.push(hook);
  registry.set(ctx.events, list);
  return () => {
    const i = list.indexOf(hook);
    if (i >= 0) list.splice(i, 1);
  };
}

export function cronTickHooks(ctx: { events: object }): readonly CronTickHook[] {
  return registry.get(ctx.events) ?? [];
}
