/**
 * What a step of a recovery chain (`on_stuck = ["nudge", "restart:2",
 * "escalate"]`) can name: a built-in action, or a runbook `[action.x]`.
 * A step's name resolves to a runbook action first (own file, then the
 * project), else to a built-in; a run-less `[action.<built-in>]` only tunes
 * the built-in (its cooldown and max_attempts), so its steps stay built-in.
 */

export const BUILTIN_ACTIONS = ['nudge', 'restart', 'requeue', 'dead', 'escalate', 'abandon', 'rollback', 'release', 'reclaim'] as const;

export type BuiltinAction = (typeof BUILTIN_ACTIONS)[number];

export const BUILTIN_ACTION_EFFECTS: Record<BuiltinAction, string> = {
  nudge: 'poke the stuck processor (type into the agent session)',
  restart: 'kill and restart the processor (restart:N: up to N times)',
  requeue: 'put the work item back in its queue',
  dead: 'move the work item to the dead-letter list',
  escalate: 'record an escalation for a human and wait',
  abandon: 'give up: the work fails',
  rollback: 'restore the checkpoint',
  release: 'release the lock or semaphore slot',
  reclaim: 'reclaim the orphaned resource',
};

export function isBuiltinAction(name: string): name is BuiltinAction {
  return (BUILTIN_ACTIONS as readonly string[]).includes(name);
}

/** One step of a recovery chain, as the runbook model holds it once the project is assembled. */
export interface ChainStep {
  /** As written: `restart:2`, `watchdog.notify`. */
  text: string;
  /** The action name without file/kind qualifier or count. */
  action: string;
  /** The `:N` count ("up to N times"), or null (once). */
  max: number | null;
  /** Qualified id of the runbook `[action.x]` it resolved to, or null for a built-in. */
  id: string | null;
  builtin: boolean;
}

/** What a step does, as every interpreter of a chain sees it. */
export type RecoveryAction =
  | { kind: 'builtin'; name: BuiltinAction }
  /** `id`: a reference the project resolves to the action (its qualified id; a bare name in a chain stored before ids were). */
  | { kind: 'runbook'; name: string; id: string };

/** The parts of a step that say which action it is. */
export type StepIdentity = Pick<ChainStep, 'action' | 'id' | 'builtin'>;

export function actionOf(step: StepIdentity): RecoveryAction {
  if (step.id !== null && !step.builtin) return { kind: 'runbook', name: step.action, id: step.id };
  if (isBuiltinAction(step.action)) return { kind: 'builtin', name: step.action };
  // Not resolved at load (a chain stored by an older daemon): a runbook action by name.
  return { kind: 'runbook', name: step.action, id: step.id ?? step.action };
}

/** A built-in step, for chains the daemon writes itself (a lock's default `release`). */
export function builtinStep(action: BuiltinAction): ChainStep {
  return { text: action, action, max: null, id: null, builtin: true };
}

/** For exhaustive switches: a case no value can reach. */
export function unreachable(value: never): never {
  throw new Error(`unexpected recovery action ${JSON.stringify(value)}`);
}
