/**
 * What an agent session is doing, as the agent itself reports it (Claude
 * Code's hooks through `oj session hook`, any other CLI through
 * `oj session report`): the names the daemon records and `oj session` shows.
 */

export const AGENT_STATES = ['starting', 'working', 'needs_permission', 'idle', 'failed', 'ended'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

/** The states `oj session report STATE` accepts (ended is the process's own end, or a report too). */
export const REPORTABLE_STATES: readonly AgentState[] = AGENT_STATES;

export function isAgentState(value: unknown): value is AgentState {
  return typeof value === 'string' && (AGENT_STATES as readonly string[]).includes(value);
}

/**
 * What a `needs_permission` agent waits for: a generic permission prompt, a
 * plan to approve (Claude Code's `ExitPlanMode`) or a question with choices
 * (`AskUserQuestion`). Plans and questions are stronger: a newer generic
 * permission prompt never supersedes one that is open.
 */
export const PROMPT_KINDS = ['permission', 'plan', 'question'] as const;
export type PromptKind = (typeof PROMPT_KINDS)[number];

export function isPromptKind(value: unknown): value is PromptKind {
  return typeof value === 'string' && (PROMPT_KINDS as readonly string[]).includes(value);
}

/** A prompt as a decision: its kind, its text (the plan, the question), and a question's choices. */
export interface AgentPrompt {
  kind: PromptKind;
  text: string;
  /**
   * A question's choices, in the order the agent shows them (answering the
   * n-th types question_keys.down n-1 times, then question_keys.select).
   * Empty for a plan, a permission prompt, and a question oj cannot answer
   * with one choice (several questions, or one that takes several answers).
   */
  choices: string[];
}

/**
 * A prompt's answer, as `escalation:resolved` carries it (`answer`): the
 * agent phase types the agent's keys for it. `index` is the chosen option's
 * place among the prompt's answers (a question's n-th choice: n-1).
 */
export interface PromptAnswer {
  prompt: PromptKind;
  choice: string;
  index: number;
}

/**
 * Why an agent failed, as oj names it: `unauthorized` (not logged in),
 * `rate_limited` (wait: until its reset time when the agent gave one),
 * `quota`, `overloaded`, `network`, `other`.
 */
export const FAILURE_REASONS = ['unauthorized', 'rate_limited', 'quota', 'overloaded', 'network', 'other'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export function isFailureReason(value: unknown): value is FailureReason {
  return typeof value === 'string' && (FAILURE_REASONS as readonly string[]).includes(value);
}

/** The Claude Code hook events oj installs a command hook for (each calls `oj session hook`). */
export const CLAUDE_HOOK_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'PostToolUseFailure',
  'Notification',
  'Stop',
  'StopFailure',
  'SessionEnd',
] as const;

/** Tools that write files: a PreToolUse hook for one of these checks `[safety] protected`. */
export const FILE_WRITING_TOOLS = ['Write', 'Edit', 'MultiEdit', 'NotebookEdit'] as const;

/** The environment variable carrying the protected paths (JSON array of absolute entries) to `oj session hook`. */
export const PROTECTED_PATHS_ENV = 'OJ_PROTECTED_PATHS';
