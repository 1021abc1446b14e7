/**
 * The cron slot machine (pure): (state, settings, event, now) -> state,
 * events, effects. It decides when a cron is due, whether a due tick runs or
 * is skipped (its previous run still under way), what a run records, how a
 * run's end is reported and what happens to missed slots after downtime.
 * Timers, processes, pipelines and hooks are the shell's, asked for as
 * effects.
 */
import { planAtStart } from './catch-up.js';
import { recordSkip, skippedEvent } from './skips.js';
import {
  CronBusyError,
  type CronEffect,
  type CronEmit,
  type CronLive,
  type CronSettings,
  type CronSlotEvent,
  type CronSlotState,
  type CronTransition,
} from './types.js';

/** Accumulates one transition. */
class Step {
  private readonly events: CronEmit[] = [];
  private readonly effects: CronEffect[] = [];

  constructor(public state: CronSlotState) {}

  set(patch: Partial<CronSlotState>): this {
    this.state = { ...this.state, ...patch };
    return this;
  }

  emit(name: string, data: CronEmit['data']): this {
    this.events.push({ name, data });
    return this;
  }

  effect(e: CronEffect): this {
    this.effects.push(e);
    return this;
  }

  /** Ends the current run of skipped ticks, reporting it as one event. */
  reportSkips(): this {
    if (!this.state.skips) return this;
    this.events.push(skippedEvent(this.state.name, this.state.skips));
    return this.set({ skips: null });
  }

  done(): CronTransition {
    return { state: this.state, events: this.events, effects: this.effects };
  }
}

/** A cron that has never been enabled or run. */
export function blankCronState(name: string, now: number): CronSlotState {
  return {
    name,
    enabled: false,
    intervalMs: 0,
    nextDueAt: null,
    lastRunAt: null,
    lastOutcome: null,
    lastError: null,
    lastPipeline: null,
    runs: 0,
    changedAt: now,
    skips: null,
  };
}

/** What keeps a new run from starting: true (a shell command or monitor pass), the pipeline still running, or false. */
export function busyWith(state: CronSlotState, live: CronLive): true | string | false {
  if (live.runningHere) return true;
  if (state.lastOutcome === 'running' && state.lastPipeline && live.pipelineActive) return live.pipelineName ?? state.lastPipeline;
  return false;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function step(state: CronSlotState, settings: CronSettings | null, event: CronSlotEvent, now: number): CronTransition {
  const t = new Step(state);
  switch (event.type) {
    case 'enable':
      if (!settings) return t.effect({ type: 'undefined' }).done();
      if (state.enabled) {
        if (!event.armed && state.nextDueAt !== null) t.effect({ type: 'arm', at: state.nextDueAt });
        return t.done();
      }
      return enable(t, settings, now);
    case 'disable':
      if (!state.enabled) return t.effect({ type: 'disarm' }).done();
      t.reportSkips();
      t.set({ enabled: false, nextDueAt: null, changedAt: now });
      t.emit('cron:disabled', { cron: state.name });
      return t.effect({ type: 'disarm' }).effect({ type: 'hook', hook: 'on_disable', values: {} }).done();
    case 'due':
      if (!state.enabled) return t.done();
      if (!settings) return t.effect({ type: 'undefined' }).done();
      return due(t, settings, event.live, now, event.claimed !== false);
    case 'runNow': {
      if (!settings) throw new Error(`cron ${state.name} is not defined`);
      const busy = busyWith(state, event.live);
      if (busy) throw new CronBusyError(state.name, busy);
      return startRun(t, settings, { scheduledAt: null, manual: true, catchUp: false }, now).done();
    }
    case 'restart':
      return restart(t, settings, event.live, now, event.claimed !== false);
    case 'reload': {
      if (!state.enabled || !settings) return t.done();
      if (settings.intervalMs === state.intervalMs && event.armed) return t.done();
      // Due no later than one whole new slot from now (a shorter interval takes effect at once).
      const first = settings.schedule.first(now);
      const next = Math.min(state.nextDueAt ?? first, first);
      t.set({ intervalMs: settings.intervalMs, nextDueAt: next });
      return t.effect({ type: 'arm', at: next }).done();
    }
    case 'pipelineStarted':
      return t.set({ lastPipeline: event.pipeline }).done();
    case 'pipelineEnded': {
      // Only the pipeline of the cron's current run settles it.
      if (state.lastPipeline !== event.pipeline) return t.done();
      const error = event.status === 'done' ? null : `pipeline ${event.handle} ${event.status}${event.error ? `: ${event.error}` : ''}`;
      return finish(t, event.status === 'done' ? 'done' : 'failed', error, event.pipeline, true).done();
    }
    case 'runEnded':
      return finish(t, event.outcome, event.error, null, true).done();
    case 'stop':
      return t.reportSkips().done();
  }
}

function enable(t: Step, settings: CronSettings, now: number): CronTransition {
  const next = settings.schedule.first(now);
  t.set({ enabled: true, intervalMs: settings.intervalMs, nextDueAt: next, changedAt: now });
  t.emit('cron:enabled', { cron: t.state.name, interval: settings.schedule.text, nextDueAt: iso(next) });
  return t.effect({ type: 'arm', at: next }).effect({ type: 'hook', hook: 'on_enable', values: {} }).done();
}

/** The timer for the due slot fired: run, or skip when the previous run is still under way. */
function due(t: Step, settings: CronSettings, live: CronLive, now: number, claimed: boolean): CronTransition {
  const scheduled = t.state.nextDueAt ?? now;
  const next = settings.schedule.nextAfter(scheduled, now);
  const busy = busyWith(t.state, live);
  if (!claimed) {
    // Another daemon runs this slot: this one only moves on to the next.
    t.set({ nextDueAt: next, intervalMs: settings.intervalMs });
  } else if (busy) {
    t.set({ skips: recordSkip(t.state.skips, scheduled, typeof busy === 'string' ? busy : null), nextDueAt: next, intervalMs: settings.intervalMs });
  } else {
    // The next slot is stored with the run: one commit per tick, not two.
    t.set({ nextDueAt: next, intervalMs: settings.intervalMs });
    startRun(t, settings, { scheduledAt: scheduled, manual: false, catchUp: false }, now);
  }
  return t.effect({ type: 'arm', at: next }).done();
}

/**
 * The daemon started. A run that was not a pipeline died with the previous
 * daemon: it ends as failed. An enabled cron that missed its slot runs once
 * now (see catch-up.ts) unless its pipeline is still under way.
 */
function restart(t: Step, settings: CronSettings | null, live: CronLive, now: number, claimed: boolean): CronTransition {
  if (t.state.lastOutcome === 'running' && !t.state.lastPipeline) {
    finish(t, 'failed', 'the daemon stopped during this run', null, false);
  }
  if (!t.state.enabled) return t.done();
  if (!settings) return t.effect({ type: 'undefined' }).done();
  const missed = t.state.nextDueAt;
  const plan = planAtStart(missed, settings.schedule, now);
  t.set({ nextDueAt: plan.next, intervalMs: settings.intervalMs });
  if (plan.catchUp && claimed && !busyWith(t.state, live)) startRun(t, settings, { scheduledAt: missed, manual: false, catchUp: true }, now);
  return t.effect({ type: 'arm', at: plan.next }).done();
}

function startRun(t: Step, settings: CronSettings, run: { scheduledAt: number | null; manual: boolean; catchUp: boolean }, now: number): Step {
  t.reportSkips();
  t.set({
    intervalMs: t.state.intervalMs || settings.intervalMs,
    lastRunAt: now,
    lastOutcome: 'running',
    lastError: null,
    lastPipeline: null,
    runs: t.state.runs + 1,
  });
  t.emit('cron:tick', {
    cron: t.state.name,
    manual: run.manual,
    scheduledAt: run.scheduledAt === null ? null : iso(run.scheduledAt),
    monitors: [...settings.monitors],
  });
  return t.effect({ type: 'hook', hook: 'on_tick', values: {} }).effect({ type: 'run', ...run });
}

function finish(t: Step, outcome: 'done' | 'failed', error: string | null, pipeline: string | null, hook: boolean): Step {
  t.set({ lastOutcome: outcome, lastError: error });
  t.emit(outcome === 'done' ? 'cron:complete' : 'cron:failed', {
    cron: t.state.name,
    ...(pipeline ? { pipeline } : {}),
    ...(error ? { error } : {}),
  });
  if (hook) t.effect({ type: 'hook', hook: outcome === 'done' ? 'on_complete' : 'on_fail', values: { error: error ?? '', pipeline: pipeline ?? '' } });
  return t;
}
