/**
 * When did an agent last show a sign of life, and what is it doing — the
 * input to `idle_timeout` / `on_stuck`. Pure: the caller supplies the time,
 * the last pty output and (for heartbeat = "claude") the classified log.
 *
 * heartbeat = "output": the last pty output.
 * heartbeat = "claude": Claude Code redraws its screen (spinner, timers) even
 *   when it waits, so output says little. Its session log says more:
 *   - working (tool in flight, reply streaming): the newest log entry or pty
 *     output, whichever is later — a long tool run keeps the spinner going;
 *   - waiting_for_input / api_error: the time it got there; output since then
 *     is only redraw, so idle time grows and on_stuck can act;
 *   - no log yet (Claude writes it after the first prompt): falls back to output.
 */
import type { ClaudeApiError, ClaudeLogStatus } from './claude-log.js';

export type Heartbeat = 'output' | 'claude';

export type AgentActivity = 'active' | 'waiting_for_input' | 'api_error';

export interface LivenessInput {
  heartbeat: Heartbeat;
  now: number;
  /** When the session started (ms). */
  startedAt: number;
  /** Last pty output (ms), if any. */
  lastOutputAt?: number | undefined;
  /** The classified Claude log, for heartbeat = "claude" (undefined while there is none). */
  claude?: ClaudeLogStatus | undefined;
}

export interface Liveness {
  lastHeartbeatAt: number;
  idleMs: number;
  activity: AgentActivity;
  /** Set when activity is api_error: the engine may escalate at once instead of nudging. */
  apiError?: ClaudeApiError;
}

export function assessLiveness(input: LivenessInput): Liveness {
  const { now, startedAt } = input;
  const output = Math.max(startedAt, input.lastOutputAt ?? startedAt);
  const claude = input.claude;
  if (input.heartbeat === 'output' || !claude || claude.state === 'unknown') {
    return result(now, output, 'active');
  }
  if (claude.state === 'working') {
    return result(now, Math.max(output, claude.lastEntryAt ?? startedAt), 'active');
  }
  const reached = Math.max(startedAt, claude.since ?? claude.lastEntryAt ?? startedAt);
  if (claude.state === 'api_error') {
    const live = result(now, reached, 'api_error');
    return claude.error ? { ...live, apiError: claude.error } : live;
  }
  return result(now, reached, 'waiting_for_input');
}

/** Idle at least `idleTimeoutMs`: the `on_stuck` chain applies. */
export function isStuck(liveness: Liveness, idleTimeoutMs: number): boolean {
  return liveness.idleMs >= idleTimeoutMs;
}

function result(now: number, lastHeartbeatAt: number, activity: AgentActivity): Liveness {
  return { lastHeartbeatAt, idleMs: Math.max(0, now - lastHeartbeatAt), activity };
}
