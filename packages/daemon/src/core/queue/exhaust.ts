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

/** One step of an `on_exhaust` chain, as the runbook model holds it (a `ChainStep`). */
export interface ExhaustStep {
  /** As written. */
  text: string;
  /** The action name without file/kind qualifier or count. */
  action: string;
  /** Qualified id of the runbook `[action.x]` it resolved to, or null for a built-in. */
  id: string | null;
  builtin: boolean;
}

export interface ExhaustPlan {
  status: 'dead' | 'abandoned' | 'pending';
  escalate: boolean;
  /** Runbook actions (qualified ids) to run. */
  actions: string[];
  /** Steps that mean nothing for a queue item (e.g. nudge); logged and ignored. */
  ignored: string[];
}

export function planExhaust(chain: readonly ExhaustStep[]): ExhaustPlan {
  const plan: ExhaustPlan = { status: 'dead', escalate: false, actions: [], ignored: [] };
  for (const step of chain) {
    if (!step.builtin && step.id) {
      plan.actions.push(step.id);
      continue;
    }
    switch (step.action) {
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
        plan.ignored.push(step.text);
    }
  }
  return plan;
}
