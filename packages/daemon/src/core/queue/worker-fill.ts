/**
 * What a started worker does when it looks for work (a "fill"). There is no
 * polling loop: it looks when something may have changed (an item added or
 * released, a slot freed, a wake_on event, `oj worker wake`, its idle timer).
 *
 * Before taking: whether to pull a source queue. After taking: whether it
 * has become busy or idle, whether it stops (idle_action = "stop") and
 * whether its idle timer (idle_action = "wait:<d>") is armed: only for a
 * queue with a source, which the timer re-pulls. Without a source the timer
 * would find nothing new (every change that makes work takeable wakes the
 * worker), so an idle worker costs nothing until something happens.
 */

export interface PullView {
  /** The queue has a source command. */
  source: boolean;
  /** Slots free (concurrency minus work in flight). */
  free: number;
  /** Items are pending. */
  pending: boolean;
  /** A pull of the queue is under way. */
  pullingNow: boolean;
  /** Something asked for a pull (a wake, the idle timer, a start). */
  pullRequested: boolean;
  /** The previous fill started a pull. */
  justPulled: boolean;
}

export interface PullPlan {
  startPull: boolean;
  /** Keep the request for the next fill (a pull is under way now). */
  pullRequested: boolean;
  justPulled: boolean;
}

export function planPull(v: PullView): PullPlan {
  // A pull is under way; a wake that came meanwhile pulls once more after it.
  if (v.pullingNow) return { startPull: false, pullRequested: v.pullRequested, justPulled: v.justPulled };
  // Pull when asked to, or when there is room and nothing pending (once: not again right after a pull).
  if (v.source && v.free > 0 && (v.pullRequested || (!v.pending && !v.justPulled))) return { startPull: true, pullRequested: false, justPulled: true };
  return { startPull: false, pullRequested: false, justPulled: false };
}

export interface RestView {
  /** The queue has a source command (the idle timer re-pulls it). */
  source: boolean;
  /** Items handed to pipelines by this fill. */
  took: number;
  /** It was idle before this fill. */
  idle: boolean;
  /** Items are pending. */
  pending: boolean;
  /** Its work in flight after the takes. */
  running: number;
  pulling: boolean;
  idleAction: { type: 'wait'; ms: number } | { type: 'stop' };
  idleTimerArmed: boolean;
}

export interface RestPlan {
  /** It took work after being idle. */
  busy: boolean;
  /** It has just become idle. */
  becameIdle: boolean;
  /** It stops (idle_action = "stop"). */
  stop: boolean;
  /** Arm the idle timer for this long (null: leave it). */
  armIdleTimer: number | null;
}

export function planRest(v: RestView): RestPlan {
  const busy = v.took > 0 && v.idle;
  const plan: RestPlan = { busy, becameIdle: false, stop: false, armIdleTimer: null };
  // Work is waiting for a slot: the end of a pipeline wakes the worker.
  if (v.pending) return plan;
  const idle = v.idle && !busy;
  if (v.running === 0 && !v.pulling && !idle) {
    plan.becameIdle = true;
    if (v.idleAction.type === 'stop') {
      plan.stop = true;
      return plan;
    }
  }
  if (v.idleAction.type === 'wait' && v.source && !v.idleTimerArmed) plan.armIdleTimer = v.idleAction.ms;
  return plan;
}
