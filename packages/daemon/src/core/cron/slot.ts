/**
 * The cron slot machine (pure): (state, settings, event, now) -> state,
 * events, effects. It decides when a cron is due, whether a due tick runs or
 * is skipped (its previous run still under way), what a run records, how a
 * run's end is reported and what happens to missed slots after downtime.
 * Timers, processes, pipelines and hooks are the shell's, asked for as
 * effects.
 */
import { backlogNext, LATE_GRACE_MS, planDue, type DuePlan } from './catch-up.js';
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
  type SlotClaim,
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
    scheduleKey: '',
    nextDueAt: null,
    catchUpUntil: null,
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
      t.set({ enabled: false, nextDueAt: null, catchUpUntil: null, changedAt: now });
      t.emit('cron:disabled', { cron: state.name });
      return t.effect({ type: 'disarm' }).effect({ type: 'hook', hook: 'on_disable', values: {} }).done();
    case 'due':
      if (!state.enabled) return t.done();
      if (!settings) return t.effect({ type: 'undefined' }).done();
      return due(t, settings, event.live, now, event);
    case 'runNow': {
      if (!settings) throw new Error(`cron ${state.name} is not defined`);
      const busy = busyWith(state, event.live);
      if (busy) throw new CronBusyError(state.name, busy);
      return startRun(t, settings, { scheduledAt: null, manual: true, catchUp: false }, now).done();
    }
    case 'restart':
      return restart(t, settings, event.live, now, event);
    case 'reload': {
      if (!state.enabled || !settings) return t.done();
      if (settings.schedule.key === state.scheduleKey && state.nextDueAt !== null) {
        return event.armed ? t.done() : t.effect({ type: 'arm', at: state.nextDueAt }).done();
      }
      // A changed schedule: an interval is due no later than one new interval from now, a calendar at its next slot.
      const next = settings.schedule.replan(state.nextDueAt, now);
      t.set({ scheduleKey: settings.schedule.key, nextDueAt: next, catchUpUntil: null });
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
  t.set({ enabled: true, scheduleKey: settings.schedule.key, nextDueAt: next, catchUpUntil: null, changedAt: now });
  t.emit('cron:enabled', { cron: t.state.name, schedule: settings.schedule.text, nextDueAt: iso(next) });
  return t.effect({ type: 'arm', at: next }).effect({ type: 'hook', hook: 'on_enable', values: {} }).done();
}

/** What a `due` or `restart` step is told of the cluster. */
interface Claims {
  claim?: SlotClaim | null | undefined;
  elsewhere?: readonly number[] | undefined;
}

/** Slots another daemon ran: those it says, and the slot this daemon's claim lost. */
function ranElsewhere(c: Claims): ReadonlySet<number> {
  const out = new Set(c.elsewhere ?? []);
  if (c.claim && !c.claim.mine) out.add(c.claim.slot);
  return out;
}

/** The plan for the due slot (null: a backlog goes on, or the slot is still ahead). */
function planOf(state: CronSlotState, settings: CronSettings, type: 'due' | 'restart', now: number, elsewhere: ReadonlySet<number>): DuePlan | null {
  if (state.catchUpUntil !== null) return null;
  const slot = state.nextDueAt ?? now;
  if (slot > now) return null;
  return planDue(slot, settings.schedule, settings.catchUp, now, type === 'due' ? LATE_GRACE_MS : (settings.restartGraceMs ?? 0), elsewhere);
}

/** At a restart: the due slot of a schedule the runbooks changed while the daemon was down (or of a cron never planned). */
function replanned(state: CronSlotState, settings: CronSettings, now: number): Partial<CronSlotState> | null {
  if (settings.schedule.key === state.scheduleKey && state.nextDueAt !== null) return null;
  return { scheduleKey: settings.schedule.key, nextDueAt: settings.schedule.replan(state.nextDueAt, now), catchUpUntil: null };
}

/** The timer for the due slot fired: run (or skip, when the previous run is still under way), catching up missed slots. */
function due(t: Step, settings: CronSettings, live: CronLive, now: number, c: Claims): CronTransition {
  if (t.state.catchUpUntil !== null) return backlog(t, settings, live, now, c.claim);
  const plan = planOf(t.state, settings, 'due', now, ranElsewhere(c));
  if (!plan) return t.effect({ type: 'arm', at: t.state.nextDueAt ?? now }).done();
  return carryOut(t, settings, plan, live, now, c.claim);
}

/**
 * The daemon started. A run that was not a pipeline died with the previous
 * daemon: it ends as failed. An enabled cron whose slots passed while the
 * daemon was down catches up by its `catch_up` (see catch-up.ts), unless its
 * previous run is still under way.
 */
function restart(t: Step, settings: CronSettings | null, live: CronLive, now: number, c: Claims): CronTransition {
  if (t.state.lastOutcome === 'running' && !t.state.lastPipeline) {
    finish(t, 'failed', 'the daemon stopped during this run', null, false);
  }
  if (!t.state.enabled) return t.done();
  if (!settings) return t.effect({ type: 'undefined' }).done();
  // The runbooks changed the schedule while the daemon was down: the due slot is the new schedule's.
  const replan = replanned(t.state, settings, now);
  if (replan) t.set(replan);
  if (t.state.catchUpUntil !== null) return backlog(t, settings, live, now, c.claim);
  const plan = planOf(t.state, settings, 'restart', now, ranElsewhere(c));
  if (!plan) return t.effect({ type: 'arm', at: t.state.nextDueAt! }).done();
  return carryOut(t, settings, plan, live, now, c.claim);
}

/**
 * The slots a `due` or `restart` step would find missed now, newest first
 * (none when nothing is missed): in a cluster the shell asks which of them
 * another daemon ran, and passes those in the event (`elsewhere`), so only
 * slots no daemon ran are reported missed or caught up.
 */
export function missedSlotsToAsk(state: CronSlotState, settings: CronSettings | null, type: 'due' | 'restart', now: number): readonly number[] {
  if (!settings || !state.enabled) return [];
  const s = type === 'restart' ? { ...state, ...replanned(state, settings, now) } : state;
  return planOf(s, settings, type, now, new Set())?.missedSlots ?? [];
}

/**
 * Carries out a plan for a due slot: reports missed slots, runs (or skips) the
 * slot to run, plans the next. A slot another daemon of the cluster claimed
 * does not run here (nor is it skipped or reported missed here: that daemon
 * ran it); the cron only moves on.
 */
function carryOut(t: Step, settings: CronSettings, plan: DuePlan, live: CronLive, now: number, claim: SlotClaim | null | undefined): CronTransition {
  const run = plan.run && isMine(claim, plan.run.slot) ? plan.run : null;
  // Missed slots (none another daemon ran) are reported here unless the catch-up run for them is another
  // daemon's (it was down too, planned the same and reports them); an on-time slot's claim says nothing of them.
  if (plan.missed && (run || !plan.run || !plan.run.catchUp)) {
    const m = plan.missed;
    t.emit('cron:missed', {
      cron: t.state.name,
      firstAt: iso(m.firstAt),
      lastAt: iso(m.lastAt),
      count: m.count,
      ...(m.capped ? { capped: true } : {}),
      catchUp: settings.catchUp.policy,
      runs: m.runs,
    });
  }
  // The next slot is stored with the run: one commit per tick, not two.
  t.set({ nextDueAt: plan.next, catchUpUntil: plan.backlogUntil, scheduleKey: settings.schedule.key });
  if (run) {
    const busy = busyWith(t.state, live);
    if (busy && plan.backlogUntil !== null) {
      // A backlog waits for the run under way: it starts with this slot when that run ends.
      return t.set({ nextDueAt: run.slot }).done();
    }
    if (busy) t.set({ skips: recordSkip(t.state.skips, run.slot, typeof busy === 'string' ? busy : null) });
    else startRun(t, settings, { scheduledAt: run.slot, manual: false, catchUp: run.catchUp }, now);
  }
  return t.effect({ type: 'arm', at: plan.next }).done();
}

/** `catch_up = "all"`: the next slot of the backlog runs once the previous run has ended. */
function backlog(t: Step, settings: CronSettings, live: CronLive, now: number, claim: SlotClaim | null | undefined): CronTransition {
  const slot = t.state.nextDueAt ?? now;
  const mine = isMine(claim, slot);
  // The run under way re-arms the cron when it ends (see finish); a slot another daemon claimed is passed at once.
  if (mine && busyWith(t.state, live)) return t.done();
  const { next, backlogUntil } = backlogNext(slot, t.state.catchUpUntil ?? slot, settings.schedule, now);
  t.set({ nextDueAt: next, catchUpUntil: backlogUntil, scheduleKey: settings.schedule.key });
  if (mine) startRun(t, settings, { scheduledAt: slot, manual: false, catchUp: true }, now);
  return t.effect({ type: 'arm', at: next }).done();
}

/**
 * Whether `slot` is this daemon's to run: always without a claim (one daemon
 * alone), else only the slot it claimed (a cron's identity and the slot's
 * time, claimed once cluster-wide); null: nothing was claimed.
 */
function isMine(claim: SlotClaim | null | undefined, slot: number): boolean {
  if (claim === undefined) return true;
  return claim !== null && claim.mine && claim.slot === slot;
}

/**
 * The slot a `due` or `restart` step would run now were the cron idle (null:
 * none): the one the shell claims first in a cluster, passing the claim in
 * the event. The claim comes first and busyness after, as for one daemon: a
 * slot claimed while the previous run is under way is skipped, not left to
 * another daemon.
 */
export function slotToClaim(state: CronSlotState, settings: CronSettings | null, type: 'due' | 'restart', now: number, elsewhere?: readonly number[]): number | null {
  const idle: CronLive = { runningHere: false, pipelineActive: false };
  const t = step(state, settings, { type, live: idle, elsewhere }, now);
  for (const e of t.effects) if (e.type === 'run' && !e.manual && e.scheduledAt !== null) return e.scheduledAt;
  return null;
}

function startRun(t: Step, settings: CronSettings, run: { scheduledAt: number | null; manual: boolean; catchUp: boolean }, now: number): Step {
  t.reportSkips();
  t.set({
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
    catchUp: run.catchUp,
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
  // A backlog of missed slots goes on with its next slot (it waited for this run).
  if (t.state.enabled && t.state.catchUpUntil !== null && t.state.nextDueAt !== null) t.effect({ type: 'arm', at: t.state.nextDueAt });
  return t;
}
