/**
 * A cron slot's state, the events that move it, and what a step returns.
 * The shell loads the state (its row plus the skips it keeps in memory),
 * calls `step`, writes the new state and the emitted events in one
 * transaction and carries out the effects after the commit.
 */
import type { CronMethods, JsonValue } from '@oj/protocol';
import type { CatchUp } from './catch-up.js';
import type { Schedule } from './schedule.js';

/** Ticks skipped in a row because the previous run was still under way (see skips.ts). */
export interface SkipRun {
  /** How many ticks in a row were skipped. */
  count: number;
  /** Due times (epoch ms) of the first and last tick skipped. */
  firstAt: number;
  lastAt: number;
  /** The pipeline of the run that was still under way, when it is one. */
  pipeline: string | null;
}

/** One of the protocol's cron outcomes. */
export type CronOutcome = CronMethods.CronOutcome;

export interface CronSlotState {
  name: string;
  enabled: boolean;
  /** The key of the schedule the due slot was planned with ('': never planned): a reload notices a changed one. */
  scheduleKey: string;
  /** The slot the cron waits for (its identity: a slot runs once, when the cron moves past it). */
  nextDueAt: number | null;
  /** `catch_up = "all"`: the last missed slot still to run (the backlog runs up to it one slot at a time); null when none. */
  catchUpUntil: number | null;
  lastRunAt: number | null;
  lastOutcome: CronOutcome | null;
  lastError: string | null;
  /** The pipeline of the last run, when it ran one. */
  lastPipeline: string | null;
  runs: number;
  changedAt: number;
  /** Ticks skipped in a row since the last run (the shell keeps these in memory). */
  skips: SkipRun | null;
}

/** What the runbooks say about the cron; null when they no longer define it. */
export interface CronSettings {
  schedule: Schedule;
  /** What happens to slots missed while the daemon was down (catch-up.ts). */
  catchUp: CatchUp;
  /** The monitors a tick runs (named in `cron:tick`). */
  monitors: readonly string[];
  /**
   * At a restart, slots that passed less than this long ago are late, not
   * missed (0: every slot that passed while the daemon was down is missed).
   * In a cluster another daemon may still be claiming them (a host lease):
   * the latest is claimed like an ordinary slot, the others are not reported.
   */
  restartGraceMs?: number | undefined;
}

/**
 * A slot claim in a cluster: a slot is the cron's identity and the slot's
 * time, claimed once cluster-wide. `mine` false: another daemon claimed it
 * (or the claim could not be made): it does not run here, the cron moves on.
 */
export interface SlotClaim {
  slot: number;
  mine: boolean;
}

/** Whether the cron's previous run is still under way, as the shell sees it. */
export interface CronLive {
  /** A shell command or monitor pass of this cron is running in this daemon. */
  runningHere: boolean;
  /** The last run's pipeline exists and has not ended. */
  pipelineActive: boolean;
  /** That pipeline's id in its project, as users see it (the state holds its stored key). */
  pipelineName?: string | undefined;
}

export type CronSlotEvent =
  /** `oj cron enable`; `armed`: the shell has a timer for the cron. */
  | { type: 'enable'; armed: boolean }
  | { type: 'disable' }
  /**
   * The timer for the due slot fired. `claim`: in a cluster, the slot this
   * daemon claimed for this step (see slotToClaim; null: none); without one
   * every slot is this daemon's. `elsewhere`: of the slots the step would
   * find missed (missedSlotsToAsk), those another daemon ran: neither
   * reported missed nor caught up here.
   */
  | { type: 'due'; live: CronLive; claim?: SlotClaim | null; elsewhere?: readonly number[] | undefined }
  /** `oj cron run`: once now, enabled or not; the schedule is unchanged. */
  | { type: 'runNow'; live: CronLive }
  /** The daemon started (the previous one stopped or died); `claim` as for `due` (a missed slot is caught up only by the daemon that claims it). */
  | { type: 'restart'; live: CronLive; claim?: SlotClaim | null; elsewhere?: readonly number[] | undefined }
  /** The runbooks were reloaded; `armed`: the shell has a timer for the cron. */
  | { type: 'reload'; armed: boolean }
  /** The run's pipeline was created. */
  | { type: 'pipelineStarted'; pipeline: string }
  | { type: 'pipelineEnded'; pipeline: string; handle: string; status: 'done' | 'failed' | 'cancelled'; error: string | null }
  /** A run that is not a pipeline (shell command, monitors) ended, or a run could not start. */
  | { type: 'runEnded'; outcome: 'done' | 'failed'; error: string | null }
  /** The daemon stops: report the skips it would otherwise forget. */
  | { type: 'stop' };

export type CronHook = 'on_enable' | 'on_disable' | 'on_tick' | 'on_complete' | 'on_fail';

export type CronEffect =
  /** Wake the cron at `at` (replacing any timer it has). */
  | { type: 'arm'; at: number }
  | { type: 'disarm' }
  /** Start one run: its monitors, then its pipeline or shell command. */
  | { type: 'run'; scheduledAt: number | null; manual: boolean; catchUp: boolean }
  | { type: 'hook'; hook: CronHook; values: Record<string, string> }
  /** The cron is enabled but no longer defined in the runbooks: it waits. */
  | { type: 'undefined' };

/** An event to append to the log (the shell adds the cron as subject and its project). */
export interface CronEmit {
  name: string;
  data: Record<string, JsonValue>;
}

export interface CronTransition {
  /** The same object as the input state when nothing changed. */
  state: CronSlotState;
  events: CronEmit[];
  effects: CronEffect[];
}

/** `oj cron run` while the previous run is under way: refused, nothing changed. */
export class CronBusyError extends Error {
  constructor(
    readonly cron: string,
    /** True (a shell command or monitor pass) or the pipeline still running. */
    readonly busy: true | string,
  ) {
    super(`cron ${cron} is still running${busy === true ? '' : ` (pipeline ${busy})`}`);
    this.name = 'CronBusyError';
  }
}
