/**
 * Why an agent failed, as oj names it, and until when it must wait (pure).
 * From Claude Code's own code (StopFailure's `error`, a transcript entry's
 * `error`) and the text it showed:
 *
 *   rate_limit (Claude Code's code for rate and usage limits)     rate_limited
 *   a usage limit ("You've hit your session limit") with a reset    rate_limited
 *   authentication_failed, 401, "Not logged in"                     unauthorized
 *   billing_error, a limit without a reset time                     quota
 *   overloaded, 529                                                 overloaded
 *
 * A rate limit that names its reset time (reset-time.ts) waits until then.
 */
import type { FailureReason } from '@oj/protocol';
import { classifyApiError, type ApiErrorReason } from './claude-log.js';
import { resetTimeOf } from './reset-time.js';

export interface AgentFailure {
  reason: FailureReason;
  /** When a rate limit resets (ms), if the agent said. */
  until: number | null;
}

const BY_API_REASON: Record<ApiErrorReason, FailureReason> = {
  unauthorized: 'unauthorized',
  quota: 'quota',
  rate_limit: 'rate_limited',
  overloaded: 'overloaded',
  network: 'network',
  other: 'other',
};

export function classifyFailure(code: string | undefined, text: string, now: number): AgentFailure {
  const classified = BY_API_REASON[classifyApiError(code, text)];
  const reason: FailureReason = code === 'rate_limit' ? 'rate_limited' : code === 'overloaded' ? 'overloaded' : classified;
  const until = reason === 'rate_limited' || reason === 'quota' ? resetTimeOf(text, now) : null;
  // A usage limit that resets is a wait, not a quota a human must raise.
  return { reason: until !== null ? 'rate_limited' : reason, until };
}

/** A failure message `code: text` (as StopFailure's is recorded), classified. */
export function classifyFailureMessage(message: string, now: number): AgentFailure {
  const code = /^([a-z_]+):/.exec(message)?.[1];
  return classifyFailure(code, message, now);
}
