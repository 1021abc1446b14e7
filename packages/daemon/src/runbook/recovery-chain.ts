/**
 * Recovery chains: `on_stuck = ["nudge", "restart:2", "escalate"]`. A step
 * names an action, optionally with `:N` ("up to N times"). A name resolves to
 * a runbook `[action.x]` first (own file, then the project), else to a
 * built-in action. A single string is a one-step chain.
 */
import type { ChainStep } from './model.js';

export const BUILTIN_ACTIONS = [
  'nudge',
  'restart',
  'requeue',
  'dead',
  'escalate',
  'abandon',
  'rollback',
  'release',
  'reclaim',
] as const;

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

const STEP = /^([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*){0,2})(?::(.*))?$/;

export type StepParse = { ok: true; step: ChainStep; reference: string } | { ok: false; message: string; hint?: string };

/** Parse one step's text; resolution (id/builtin) happens when the project is assembled. */
export function parseChainStep(text: string): StepParse {
  const match = STEP.exec(text);
  if (match === null) {
    return { ok: false, message: `"${text}" is not an action`, hint: 'steps look like "nudge", "restart:2" or "file.action"' };
  }
  const reference = match[1]!;
  const count = match[2];
  let max: number | null = null;
  if (count !== undefined) {
    if (!/^\d+$/.test(count) || Number(count) < 1) {
      return {
        ok: false,
        message: `"${text}": the count after ":" must be a whole number of at least 1`,
        hint: `e.g. "${reference}:2"`,
      };
    }
    max = Number(count);
  }
  const action = reference.split('.').pop()!;
  return { ok: true, step: { text, action, max, id: null, builtin: false }, reference };
}
