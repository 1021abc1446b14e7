/**
 * What `on_exhaust` does once an item has failed more than `max_retries`
 * times. Every step of the chain applies, in order:
 * - `dead`: the item goes to the dead-letter list (kept for `dead.retention`);
 * - `abandon`: the item is given up (status abandoned, no redrive expected);
 * - `requeue`: the item is queued again with its failure count reset;
 * - `escalate`: an `escalate` event is emitted for a human; the item is held
 *   in the dead-letter list (so `oj queue retry` redrives it) unless another
 *   step decides otherwise;
 * - a runbook `[action.x]`: its `run` command runs with the item's fields.
 * The last of dead/abandon/requeue decides the status; with none, `dead`.
 */
import { actionsIn, unreachable, type ChainStep } from '../recovery/index.js';

/** One step of an `on_exhaust` chain, as the runbook model holds it (its `:N` means nothing here). */
export type ExhaustStep = Pick<ChainStep, 'text' | 'action' | 'id' | 'builtin'>;

export interface ExhaustPlan {
  status: 'dead' | 'abandoned' | 'pending';
  escalate: boolean;
  /** Runbook actions (qualified ids) to run. */
  actions: string[];
  /** Steps that mean nothing for a queue item (nudge...; loading rejects them): logged and ignored. */
  ignored: string[];
}

/** Every step applies, in order (core/recovery: a queue's on_exhaust walks `all`). */
export function planExhaust(chain: readonly ExhaustStep[]): ExhaustPlan {
  const plan: ExhaustPlan = { status: 'dead', escalate: false, actions: [], ignored: [] };
  for (const [i, action] of actionsIn('queue.on_exhaust', chain).entries()) {
    switch (action.kind) {
      case 'runbook':
        plan.actions.push(action.id);
        break;
      case 'unsupported':
        plan.ignored.push(chain[i]!.text);
        break;
      case 'builtin':
        switch (action.name) {
          case 'dead':
            plan.status = 'dead';
            break;
          case 'abandon':
            plan.status = 'abandoned';
            break;
          case 'requeue':
            plan.status = 'pending';
            break;
          case 'escalate':
            plan.escalate = true;
            break;
          default:
            unreachable(action);
        }
        break;
      default:
        unreachable(action);
    }
  }
  return plan;
}
