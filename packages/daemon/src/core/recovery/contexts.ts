/**
 * Where a recovery chain runs, and which built-in actions each of those
 * places can carry out. Loading a project checks every chain against this
 * table (so `oj runbook check` rejects `on_fail = "nudge"`: a failed phase
 * has no session to nudge); every interpreter narrows a step to its
 * context's actions with `actionIn` and switches over them exhaustively.
 * Runbook `[action.x]` steps run in every context.
 *
 * `walk`: `step` takes one step per occurrence (a failure, a stall, a
 * timeout), honouring `:N` counts (see cursor.ts); `all` applies every step
 * of the chain, in order, each time (the steps are complementary: release
 * the lock, roll back, tell a human).
 */
import { BUILTIN_ACTIONS, actionOf, type BuiltinAction, type StepIdentity } from './actions.js';

export interface RecoveryContextSpec {
  /** The primitive kind and field, as a user reads them. */
  where: string;
  walk: 'step' | 'all';
  actions: readonly BuiltinAction[];
}

const AGENT_LIVE = ['nudge', 'restart', 'escalate', 'abandon'] as const;
const HOLD = ['release', 'reclaim', 'rollback', 'escalate', 'requeue', 'dead'] as const;

export const RECOVERY_CONTEXTS = {
  'phase.on_fail': { where: "a pipeline phase's on_fail", walk: 'step', actions: ['restart', 'rollback', 'escalate', 'abandon'] },
  'agent.on_stuck': { where: "an agent's on_stuck", walk: 'step', actions: AGENT_LIVE },
  'agent.on_timeout': { where: "an agent's on_timeout", walk: 'step', actions: AGENT_LIVE },
  'agent.on_error': { where: "an agent's on_error", walk: 'step', actions: AGENT_LIVE },
  'agent.on_idle': { where: "an agent's on_idle", walk: 'step', actions: AGENT_LIVE },
  'agent.on_exit': { where: "an agent's on_exit", walk: 'step', actions: ['restart', 'escalate', 'abandon'] },
  'guard.on_timeout': { where: "a guard's on_timeout", walk: 'step', actions: ['restart', 'escalate', 'abandon'] },
  'strategy.on_exhaust': { where: "a strategy's on_exhaust", walk: 'step', actions: ['restart', 'escalate', 'abandon'] },
  'lock.on_stale': { where: "a lock's on_stale", walk: 'all', actions: HOLD },
  'semaphore.on_orphan': { where: "a semaphore's on_orphan", walk: 'all', actions: HOLD },
  'semaphore.on_orphan_work': { where: "a semaphore's on_orphan_work", walk: 'all', actions: ['requeue', 'dead'] },
  'queue.on_exhaust': { where: "a queue's on_exhaust", walk: 'all', actions: ['dead', 'abandon', 'requeue', 'escalate'] },
  'monitor.response': { where: "a monitor's response", walk: 'step', actions: BUILTIN_ACTIONS },
} as const satisfies Record<string, RecoveryContextSpec>;

export type RecoveryContext = keyof typeof RECOVERY_CONTEXTS;

export const RECOVERY_CONTEXT_NAMES = Object.keys(RECOVERY_CONTEXTS) as RecoveryContext[];

/** The built-in actions a context can carry out. */
export type BuiltinIn<C extends RecoveryContext> = (typeof RECOVERY_CONTEXTS)[C]['actions'][number];

/**
 * A step as one context sees it. `unsupported`: a built-in the context
 * cannot carry out, in a chain that was not checked at load (a pipeline's
 * definition stored by an older daemon); the interpreter notes it and moves on.
 */
export type ActionIn<C extends RecoveryContext> =
  | { kind: 'builtin'; name: BuiltinIn<C> }
  | { kind: 'runbook'; name: string; id: string }
  | { kind: 'unsupported'; name: BuiltinAction };

export function supports(context: RecoveryContext, action: BuiltinAction): boolean {
  return (RECOVERY_CONTEXTS[context].actions as readonly BuiltinAction[]).includes(action);
}

export function actionIn<C extends RecoveryContext>(context: C, step: StepIdentity): ActionIn<C> {
  const action = actionOf(step);
  if (action.kind === 'runbook') return action;
  if (supports(context, action.name)) return { kind: 'builtin', name: action.name as BuiltinIn<C> };
  return { kind: 'unsupported', name: action.name };
}

/**
 * Every step of a chain a context walks `all` at once (a lock's on_stale, a
 * semaphore's on_orphan and on_orphan_work, a queue's on_exhaust), narrowed,
 * in order: the interpreter switches over each.
 */
export function actionsIn<C extends RecoveryContext>(context: C, chain: readonly StepIdentity[]): ActionIn<C>[] {
  return chain.map((step) => actionIn(context, step));
}

/** Whether a narrowed chain has the built-in `name` among its steps (a runbook action of that name is not it). */
export function hasBuiltin<C extends RecoveryContext>(actions: readonly ActionIn<C>[], name: BuiltinIn<C>): boolean {
  return actions.some((a) => a.kind === 'builtin' && a.name === name);
}

/** `restart, rollback, escalate, abandon or a runbook [action.x]`: what a context accepts, for messages. */
export function acceptedText(context: RecoveryContext): string {
  return `${RECOVERY_CONTEXTS[context].actions.join(', ')} or a runbook [action.x]`;
}

/** The load-time check of one resolved step: null when the context can run it, else the problem. */
export function checkStep(context: RecoveryContext, step: StepIdentity): { message: string; hint: string } | null {
  const action = actionIn(context, step);
  if (action.kind !== 'unsupported') return null;
  const spec = RECOVERY_CONTEXTS[context];
  // `dead` once meant "give up" outside queues: say what does that now.
  const instead = action.name === 'dead' && supports(context, 'abandon') ? '; to give up, write abandon' : '';
  return {
    message: `the built-in action "${action.name}" cannot run in ${spec.where}`,
    hint: `it accepts ${acceptedText(context)}${instead}`,
  };
}
