/**
 * The seam for what a cron does on each tick besides its `run`: the monitors
 * capability adds a hook here and runs the cron's `monitors` from it. The
 * daemon makes one set of hooks and hands it to both sides (WiringContext):
 *
 *   ctx.cronTicks.add(async (tick) => { for (const m of tick.cron.monitors) ... });
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

/** The hooks run on every tick of every cron of one daemon. */
export class CronTickHooks {
  private readonly hooks: CronTickHook[] = [];

  /** Adds a hook; the returned function removes it. */
  add(hook: CronTickHook): () => void {
    this.hooks.push(hook);
    return () => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  list(): readonly CronTickHook[] {
    return this.hooks;
  }
}
