/**
 * Liveness from what the agent reports, not from its screen (pure). With
 * hooks, an agent's state decides what its silence means:
 *
 *   starting, working  idle_timeout counts (from the later of its last output, its last hook
 *                      and the last recovery step): past it, on_stuck
 *   needs_permission   never stuck; past permission_timeout in that state, one escalation
 *   idle               its turn is over and it did not run `oj done`: after idle_timeout
 *                      in that state (or since the last on_idle step), the next on_idle step
 *   failed             unauthorized escalates at once (never a restart loop); rate limits
 *                      and overload wait; any other failure takes on_error
 *   ended              nothing: the process's exit decides
 */
import type { AgentState } from '@oj/protocol';
import { classifyApiError, type ApiErrorReason } from '../sessions/claude-log.js';

export interface StateLivenessInput {
  state: AgentState;
  /** When it entered the state (ms). */
  since: number;
  message: string | null;
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
  | { kind: 'failed'; reason: ApiErrorReason; message: string }
  | { kind: 'waiting-on-api'; reason: ApiErrorReason };

export function judgeState(i: StateLivenessInput): StateVerdict {
  switch (i.state) {
    case 'starting':
    case 'working': {
      const idleMs = Math.max(0, i.now - Math.max(i.lastSignOfLife, i.baseline));
      return idleMs >= i.idleTimeoutMs ? { kind: 'stuck', idleMs } : { kind: 'fine' };
    }
    case 'needs_permission': {
      const waitedMs = Math.max(0, i.now - i.since);
      return !i.permissionEscalated && waitedMs >= i.permissionTimeoutMs ? { kind: 'permission-timeout', waitedMs } : { kind: 'fine' };
    }
    case 'idle': {
      const idleMs = Math.max(0, i.now - Math.max(i.since, i.baseline));
      return idleMs >= i.idleTimeoutMs ? { kind: 'idle', idleMs } : { kind: 'fine' };
    }
    case 'failed': {
      const message = i.message ?? 'failed';
      const code = message.split(':')[0]?.trim();
      const reason = classifyApiError(code, message);
      if (reason === 'rate_limit' || reason === 'overloaded') return { kind: 'waiting-on-api', reason };
      return i.failureHandled ? { kind: 'fine' } : { kind: 'failed', reason, message };
    }
    case 'ended':
      return { kind: 'fine' };
  }
}

/** The message of a session that last reported an unauthorized failure (it needs a login), else null. */
export function unauthorizedFailure(row: { state: string | null; state_message: string | null } | undefined): string | null {
  if (row?.state !== 'failed') return null;
  const message = row.state_message ?? 'failed';
  return classifyApiError(message.split(':')[0]?.trim(), message) === 'unauthorized' ? message : null;
}
