/**
 * From a Claude Code hook's payload to the session's state (pure). Claude
 * Code runs `oj session hook` with a JSON payload on stdin for each event;
 * `hook_event_name` says which:
 *
 *   SessionStart       starting (source startup/resume/clear; compact changes nothing); transcript_path
 *   UserPromptSubmit   working
 *   PreToolUse         working; the ExitPlanMode tool (a plan to approve) and AskUserQuestion
 *                      (a question with choices) are prompts: needs_permission with the plan or question
 *                      (and the prompt itself: its text, a single question's choices)
 *   PostToolUse(Failure) working
 *   Notification       notification_type permission_prompt: needs_permission with its message;
 *                      idle_prompt: idle (older releases without notification_type: read from the message)
 *   Stop               idle (its turn is over; it waits for input)
 *   StopFailure        failed, with the error (authentication_failed, rate_limit...) and oj's name for
 *                      it (agent-failure.ts: unauthorized, rate_limited with the reset time when given...)
 *   SessionEnd         ended (with its reason)
 *
 * A newer prompt of a weaker kind (a generic permission) never supersedes an
 * open plan or question: the state keeps the stronger prompt's message.
 */
import type { AgentPrompt, AgentState, FailureReason, PromptKind } from '@oj/protocol';
import { classifyFailure } from './agent-failure.js';

export interface CurrentState {
  state: AgentState | null;
  since: number | null;
  message: string | null;
}

export interface NextState {
  state: AgentState;
  message: string | null;
  /** For needs_permission: what it waits for. */
  prompt?: AgentPrompt;
  /** For failed: why (oj's name), and when a rate limit resets (ms). */
  reason?: FailureReason;
  until?: number | null;
}

export interface HookOutcome {
  /** The new state, or null: the hook changes nothing. */
  next: NextState | null;
  transcriptPath?: string;
  /** The failure's reason code (StopFailure's `error`), for a failed state. */
  failure?: string;
  /**
   * A failure the agent reported after its process ended (StopFailure landing after the exit
   * was recorded): kept as history (`session:failure`), the state stays `ended`.
   */
  lateFailure?: { failure: string; message: string };
}

const PLAN = 'plan: ';
const QUESTION = 'question: ';
const MAX_MESSAGE = 2000;

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const cut = (s: string): string => (s.length > MAX_MESSAGE ? s.slice(0, MAX_MESSAGE - 1) + '…' : s);

/** The kind of prompt a needs_permission message stands for. */
export function promptKindOf(message: string | null): PromptKind {
  if (message?.startsWith(PLAN)) return 'plan';
  if (message?.startsWith(QUESTION)) return 'question';
  return 'permission';
}

/** `now` (ms) places a rate limit's reset time of day ("resets 3pm"). */
export function stateFromHook(current: CurrentState, payload: Record<string, unknown>, now: number): HookOutcome {
  const event = str(payload.hook_event_name);
  const transcript = str(payload.transcript_path);
  const withTranscript = (o: HookOutcome): HookOutcome => (transcript ? { ...o, transcriptPath: transcript } : o);
  // The process has ended: a hook that arrives later (Claude Code runs StopFailure and SessionEnd
  // beside its exit; on a busy machine one can land after oj recorded the exit) changes no state.
  // A failure it reports is still the news: kept as history. (At exit, the transcript said it.)
  if (current.state === 'ended') return withTranscript(event === 'StopFailure' ? { next: null, lateFailure: failureOf(payload) } : { next: null });
  switch (event) {
    case 'SessionStart':
      if (payload.source === 'compact') return withTranscript({ next: null });
      return withTranscript({ next: { state: 'starting', message: null } });
    case 'UserPromptSubmit':
    case 'PostToolUse':
    case 'PostToolUseFailure':
      return withTranscript({ next: { state: 'working', message: null } });
    case 'PreToolUse':
      return withTranscript({ next: preToolUse(payload) });
    case 'Notification':
      return withTranscript({ next: notification(current, payload) });
    case 'Stop':
      return withTranscript({ next: { state: 'idle', message: null } });
    case 'StopFailure': {
      const { failure, message } = failureOf(payload);
      const { reason, until } = classifyFailure(failure, [message, str(payload.error_details)].filter(Boolean).join(' '), now);
      return withTranscript({ next: { state: 'failed', message, reason, until }, failure });
    }
    case 'SessionEnd':
      // `/clear` ends one conversation, not the agent; after a failure the failure stays the news
      // (Claude Code runs StopFailure and SessionEnd hooks together; the process exit records ended).
      if (payload.reason === 'clear' || current.state === 'failed') return withTranscript({ next: null });
      return withTranscript({ next: { state: 'ended', message: str(payload.reason) } });
    default:
      return withTranscript({ next: null });
  }
}

/** StopFailure's reason code and what the agent said last. */
function failureOf(payload: Record<string, unknown>): { failure: string; message: string } {
  const error = str(payload.error) ?? 'unknown';
  const said = str(payload.last_assistant_message);
  return { failure: error, message: cut(said ? `${error}: ${said}` : error) };
}

function preToolUse(payload: Record<string, unknown>): HookOutcome['next'] {
  const tool = str(payload.tool_name);
  const input = typeof payload.tool_input === 'object' && payload.tool_input !== null ? (payload.tool_input as Record<string, unknown>) : {};
  if (tool === 'ExitPlanMode') {
    const text = cut(str(input.plan) ?? '(no plan text)');
    return { state: 'needs_permission', message: cut(PLAN + text), prompt: { kind: 'plan', text, choices: [] } };
  }
  if (tool === 'AskUserQuestion') {
    const { text, choices } = question(input);
    return { state: 'needs_permission', message: cut(QUESTION + text), prompt: { kind: 'question', text: cut(text), choices } };
  }
  return { state: 'working', message: null };
}

/**
 * `{ questions: [{ question, options: [{ label }], multiSelect }] }`: the questions and their choices
 * as one line; the choices as answers only for one question that takes one answer (Claude Code asks
 * several questions, or one with several answers, in a form with a review step: answered at the terminal).
 */
function question(input: Record<string, unknown>): { text: string; choices: string[] } {
  const questions = Array.isArray(input.questions) ? input.questions : [];
  const read = questions.map((q) => {
    const r = typeof q === 'object' && q !== null ? (q as Record<string, unknown>) : {};
    const options = Array.isArray(r.options) ? r.options : [];
    const labels = options.map((o) => (typeof o === 'object' && o !== null ? str((o as Record<string, unknown>).label) : str(o))).filter((l): l is string => l !== null);
    return { text: `${str(r.question) ?? '?'}${labels.length ? ` [${labels.join(' | ')}]` : ''}`, labels, multi: r.multiSelect === true };
  });
  const text = read.length ? read.map((q) => q.text).join(' ') : (str(input.question) ?? '(no question text)');
  const only = read.length === 1 && !read[0]!.multi ? read[0]!.labels : [];
  return { text, choices: only };
}

function notification(current: CurrentState, payload: Record<string, unknown>): HookOutcome['next'] {
  const message = str(payload.message);
  const type = str(payload.notification_type) ?? (message && /permission/i.test(message) ? 'permission_prompt' : message && /waiting for your input/i.test(message) ? 'idle_prompt' : null);
  if (type === 'permission_prompt') {
    // A generic permission prompt does not supersede an open plan or question.
    if (current.state === 'needs_permission' && promptKindOf(current.message) !== 'permission') return null;
    const text = cut(message ?? 'Claude needs your permission');
    return { state: 'needs_permission', message: text, prompt: { kind: 'permission', text, choices: [] } };
  }
  if (type === 'idle_prompt') return current.state === 'idle' ? null : { state: 'idle', message: null };
  return null;
}
