/**
 * Liveness from what the agent reports, not from its screen (pure). With
 * hooks, an agent's state decides what its silence means:
 *
 *   starting, working  idle_timeout counts (from the later of its last output, its last hook
 *                      and the last recovery step): past it, on_stuck
 *   needs_permission   never stuck; a plan to approve or a question to answer is a decision: one
 *                      escalation at once; a permission prompt: one past permission_timeout
 *   idle               its turn is over and it did not run `oj done`: after idle_timeout
 *                      in that state (or since the last on_idle step), the next on_idle step
 *   failed             unauthorized escalates at once (never a restart loop); a rate limit with a
 *                      reset time waits until then, and is resumed (the next on_idle step: its turn
 *                      is over) once it has passed, then one step per idle_timeout; other rate
 *                      limits and overload wait; any other failure takes on_error
 *   ended              nothing: the process's exit decides
 */
import type { AgentState, FailureReason, PromptKind } from '@oj/protocol';
import { classifyFailureMessage } from '../sessions/agent-failure.js';

export interface StateLivenessInput {
  state: AgentState;
  /** When it entered the state (ms). */
  since: number;
  message: string | null;
  /** For needs_permission: the kind of prompt it waits at. */
  prompt: PromptKind | null;
  /** For failed: why (null for a row recorded without one: read from the message), and a rate limit's reset (ms). */
  reason: FailureReason | null;
  until: number | null;
  now: number;
  /** The later of: last output, last hook, the start, the last recovery step (ms). */
  lastSignOfLife: number;
  /** When the last on_idle / on_stuck step was taken, or the state began, whichever is later (ms). */
  baseline: number;
  idleTimeoutMs: number;
  permissionTimeoutMs: number;
  /** This needs_permission stretch was escalated already. */
  permissionEscalated: boolean;
  /** This failure was acted on already. */
  failureHandled: boolean;
}

export type StateVerdict =
  | { kind: 'fine' }
  | { kind: 'stuck'; idleMs: number }
  | { kind: 'idle'; idleMs: number }
  | { kind: 'permission-timeout'; waitedMs: number }
  | { kind: 'decision' }
  | { kind: 'failed'; reason: FailureReason; message: string }
  | { kind: 'waiting-on-api'; reason: FailureReason }
  | { kind: 'rate-limited'; until: number }
  | { kind: 'resume'; sinceResetMs: number };

export function judgeState(i: StateLivenessInput): StateVerdict {
  switch (i.state) {
    case 'starting':
    case 'working': {
      const idleMs = Math.max(0, i.now - Math.max(i.lastSignOfLife, i.baseline));
      return idleMs >= i.idleTimeoutMs ? { kind: 'stuck', idleMs } : { kind: 'fine' };
    }
    case 'needs_permission': {
      if (i.prompt === 'plan' || i.prompt === 'question') return i.permissionEscalated ? { kind: 'fine' } : { kind: 'decision' };
      const waitedMs = Math.max(0, i.now - i.since);
      return !i.permissionEscalated && waitedMs >= i.permissionTimeoutMs ? { kind: 'permission-timeout', waitedMs } : { kind: 'fine' };
    }
    case 'idle': {
      const idleMs = Math.max(0, i.now - Math.max(i.since, i.baseline));
      return idleMs >= i.idleTimeoutMs ? { kind: 'idle', idleMs } : { kind: 'fine' };
    }
    case 'failed': {
      const message = i.message ?? 'failed';
      const read = i.reason === null ? classifyFailureMessage(message, i.now) : { reason: i.reason, until: i.until };
      if (read.reason === 'rate_limited' && read.until !== null) {
        if (i.now < read.until) return { kind: 'rate-limited', until: read.until };
        // Reset: its turn is over and it waits for input. Resumed at once, then once per idle_timeout.
        const stepped = i.baseline >= read.until;
        return !stepped || i.now - i.baseline >= i.idleTimeoutMs ? { kind: 'resume', sinceResetMs: i.now - read.until } : { kind: 'fine' };
      }
      if (read.reason === 'rate_limited' || read.reason === 'overloaded') return { kind: 'waiting-on-api', reason: read.reason };
      return i.failureHandled ? { kind: 'fine' } : { kind: 'failed', reason: read.reason, message };
    }
    case 'ended':
      return { kind: 'fine' };
  }
}

/** The message of a session that last reported an unauthorized failure (it needs a login), else null. */
export function unauthorizedFailure(row: { state: string | null; state_message: string | null; state_reason: string | null } | undefined, now: number): string | null {
  if (row?.state !== 'failed') return null;
  const message = row.state_message ?? 'failed';
  const reason = row.state_reason ?? classifyFailureMessage(message, now).reason;
  return reason === 'unauthorized' ? message : null;
}
