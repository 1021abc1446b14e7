/**
 * One step of a recovery chain as written: `nudge`, `restart:2`,
 * `watchdog.notify`. A step names an action, optionally with `:N` ("up to N
 * times"). Which action it is (a runbook `[action.x]` or a built-in) and
 * whether its chain's context can run it is settled when the project is
 * assembled (assemble-project.ts, core/recovery). A single string is a
 * one-step chain.
 */
import type { ChainStep } from './model.js';

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
