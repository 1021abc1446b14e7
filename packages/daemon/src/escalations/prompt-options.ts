/**
 * An agent's prompt as a decision (pure): the options its escalation offers
 * first, which answer a chosen option is, which prompt supersedes which.
 *
 *   permission   allow, deny
 *   plan         approve, reject                     (the plan's text is the prompt's)
 *   question     one option per choice, its label    (a question oj can answer with one choice)
 *
 * Resolving with an answer asks nothing of the pipeline: the agent phase types
 * the agent's keys for it (agents/prompt-keys.ts).
 */
import { isPromptKind, type AgentPrompt, type EscalationOption, type JsonValue, type PromptAnswer, type PromptKind } from '@oj/protocol';
import type { EscalationRow } from '../storage/escalation-store.js';

type Option = Omit<EscalationOption, 'number'>;

const FIXED: Record<Exclude<PromptKind, 'question'>, Option[]> = {
  permission: [
    { choice: 'allow', label: 'allow: answer the prompt yes' },
    { choice: 'deny', label: 'deny: answer the prompt no' },
  ],
  plan: [
    { choice: 'approve', label: 'approve the plan (the agent goes on to carry it out)' },
    { choice: 'reject', label: 'reject the plan (the agent keeps planning)' },
  ],
};

/** The prompt an escalation row decides: its stored prompt, or (rows from before prompts were kept) a permission. */
export function promptOfRow(row: Pick<EscalationRow, 'source' | 'prompt'>): AgentPrompt | null {
  const stored = row.prompt ? safeParse(row.prompt) : null;
  const prompt = promptFromData(stored);
  if (prompt) return prompt;
  return row.source === 'permission' ? { kind: 'permission', text: '', choices: [] } : null;
}

/** An escalate event's `prompt` field, if it is one. */
export function promptFromData(v: JsonValue | undefined | null): AgentPrompt | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const kind = v.kind;
  if (!isPromptKind(kind) || typeof v.text !== 'string') return null;
  const choices = Array.isArray(v.choices) ? v.choices.filter((c): c is string => typeof c === 'string') : [];
  return { kind, text: v.text, choices };
}

/** The answers a prompt's escalation offers first (none for a source that is no prompt). */
export function promptOptions(source: string, prompt: AgentPrompt | null): Option[] {
  if (!prompt || !isPromptKind(source)) return [];
  if (prompt.kind === 'question') return prompt.choices.map((c, i) => ({ choice: c, label: `answer "${c}" (choice ${i + 1} of the question)` }));
  return FIXED[prompt.kind];
}

/** The answer a picked option gives the agent, or null for one of oj's own options. */
export function answerOf(source: string, prompt: AgentPrompt | null, picked: EscalationOption): PromptAnswer | null {
  // Prompt answers come first in the list: their numbers are 1..answers.length.
  const answer = promptOptions(source, prompt)[picked.number - 1];
  if (!prompt || answer?.choice !== picked.choice) return null;
  return { prompt: prompt.kind, choice: picked.choice, index: picked.number - 1 };
}

/**
 * The options a choice names: a number; else the options whose name is the choice, exactly,
 * else ignoring case. More than one: ambiguous (a question's choice named like one of oj's).
 */
export function pickOption(options: EscalationOption[], choice: number | string): EscalationOption[] {
  if (typeof choice === 'number' || /^\d+$/.test(choice)) return options.filter((o) => o.number === Number(choice));
  const exact = options.filter((o) => o.choice === choice);
  if (exact.length > 0) return exact;
  const wanted = choice.trim().toLowerCase();
  return options.filter((o) => o.choice.toLowerCase() === wanted);
}

const STRENGTH: Record<PromptKind, number> = { permission: 2, plan: 3, question: 3 };
const strength = (p: AgentPrompt | null): number => (p ? STRENGTH[p.kind] : 1);

/**
 * Whether a new escalation (with this prompt, or none) replaces the open one of the same session:
 * a stronger prompt does, and a different prompt of the same strength (the open one was answered at
 * the terminal); a weaker one never (a generic permission never supersedes a plan or a question).
 */
export function supersedes(next: AgentPrompt | null, open: AgentPrompt | null): boolean {
  if (strength(next) !== strength(open)) return strength(next) > strength(open);
  return next !== null && open !== null && (next.kind !== open.kind || next.text !== open.text);
}

function safeParse(text: string): JsonValue | null {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return null;
  }
}
