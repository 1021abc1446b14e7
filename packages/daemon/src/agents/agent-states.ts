/**
 * Records what agent sessions report about themselves: Claude Code's hooks
 * (`sessions.hook`, from `oj session hook`) and `oj session report STATE`
 * for any other agent CLI. Each change of state is written with a
 * `session:state` event in one transaction (the supervising agent phase
 * follows those events); a hook that repeats the state only counts as a sign
 * of life (`lastHookAt`). A tool use the safety hook blocked is recorded on
 * the session and as an `agent:blocked` event. A failure is recorded with
 * oj's name for it and a rate limit's reset time (from a StopFailure hook, a
 * report, or the transcript when no hook said so).
 */
import { OjError, type AgentState } from '@oj/protocol';
import type { EventLog } from '../events/event-log.js';
import { stateFromHook, type HookOutcome, type NextState } from '../sessions/hook-state.js';
import { classifyFailure, classifyFailureMessage } from '../sessions/agent-failure.js';
import type { ClaudeApiError } from '../sessions/claude-log.js';
import type { SessionRow, SessionStore } from '../storage/session-store.js';
import type { Storage } from '../storage/storage.js';
import { isAgentState } from '@oj/protocol';

export interface AgentStatesDeps {
  storage: Storage;
  sessions: SessionStore;
  events: EventLog;
  now(): number;
}

export interface BlockedUse {
  tool: string;
  path: string;
  reason: string;
}

export class AgentStates {
  private readonly lastHook = new Map<string, number>();

  constructor(private readonly d: AgentStatesDeps) {}

  /** When the session's last hook or report arrived (in this daemon's life), if any. */
  lastHookAt(session: string): number | undefined {
    return this.lastHook.get(session);
  }

  forget(session: string): void {
    this.lastHook.delete(session);
  }

  hook(sessionId: string, payload: Record<string, unknown>, blocked?: BlockedUse): AgentState | null {
    const row = this.row(sessionId);
    const now = this.d.now();
    this.lastHook.set(row.id, now);
    const outcome = stateFromHook(current(row), payload, now);
    this.d.storage.write(() => {
      if (outcome.transcriptPath && outcome.transcriptPath !== row.transcript_path) this.d.sessions.setTranscript(row.id, outcome.transcriptPath);
      if (blocked) this.block(row, blocked, now);
      this.apply(row, outcome, now, typeof payload.hook_event_name === 'string' ? payload.hook_event_name : 'hook');
    });
    return (outcome.next?.state ?? (isAgentState(row.state) ? row.state : null));
  }

  report(sessionId: string, state: AgentState, message: string | undefined): AgentState {
    const row = this.row(sessionId);
    const now = this.d.now();
    this.lastHook.set(row.id, now);
    const next: NextState = { state, message: message ?? null };
    if (state === 'failed') Object.assign(next, classifyFailureMessage(message ?? 'failed', now));
    this.d.storage.write(() => this.apply(row, { next }, now, 'report'));
    return state;
  }

  /**
   * The transcript says the turn ended in an API error no hook reported (ojd was down when
   * StopFailure ran): the state catches up, so that liveness judges it as a failure.
   */
  failedInTranscript(sessionId: string, error: ClaudeApiError): void {
    const row = this.d.sessions.get(sessionId);
    if (!row || row.state === 'ended') return;
    const now = this.d.now();
    const message = error.code ? `${error.code}: ${error.message}` : error.message;
    const next: NextState = { state: 'failed', message, ...classifyFailure(error.code, error.message, now) };
    this.d.storage.write(() => this.apply(row, { next, ...(error.code ? { failure: error.code } : {}) }, now, 'transcript'));
  }

  /** The process ended: the state is `ended` whatever the agent said last (unless it said so). */
  ended(sessionId: string, why: string): void {
    const row = this.d.sessions.get(sessionId);
    this.lastHook.delete(sessionId);
    if (!row || row.state === 'ended') return;
    this.d.storage.write(() => this.apply(row, { next: { state: 'ended', message: why } }, this.d.now(), 'exit'));
  }

  private row(sessionId: string): SessionRow {
    const row = this.d.sessions.get(sessionId);
    if (!row) throw OjError.notFound('session', sessionId);
    return row;
  }

  private block(row: SessionRow, b: BlockedUse, now: number): void {
    this.d.sessions.addBlocked(row.id, { at: new Date(now).toISOString(), ...b });
    this.d.events.emit({
      name: 'agent:blocked',
      subject: row.pipeline_id ?? row.id,
      project: row.project,
      data: { session: row.id, tool: b.tool, path: b.path, reason: b.reason },
    });
  }

  private apply(row: SessionRow, outcome: HookOutcome, now: number, via: string): void {
    if (outcome.lateFailure) {
      this.d.events.emit({
        name: 'session:failure',
        subject: row.pipeline_id ?? row.id,
        project: row.project,
        data: { session: row.id, failure: outcome.lateFailure.failure, message: outcome.lateFailure.message, via },
      });
    }
    const next = outcome.next;
    if (!next) return;
    // The same state again keeps its start (a new prompt's text replaces the message).
    if (next.state === row.state && next.message === row.state_message) return;
    const since = next.state === row.state && row.state_since !== null ? row.state_since : now;
    const until = next.until ?? null;
    this.d.sessions.setState(row.id, { state: next.state, since, message: next.message, prompt: next.prompt ?? null, reason: next.reason ?? null, until });
    this.d.events.emit({
      name: 'session:state',
      subject: row.pipeline_id ?? row.id,
      project: row.project,
      data: {
        session: row.id,
        state: next.state,
        ...(row.state ? { from: row.state } : {}),
        ...(next.message !== null ? { message: next.message } : {}),
        ...(next.prompt ? { prompt: next.prompt.kind, text: next.prompt.text, choices: next.prompt.choices } : {}),
        ...(outcome.failure ? { failure: outcome.failure } : {}),
        ...(next.reason ? { reason: next.reason } : {}),
        ...(until !== null ? { until: new Date(until).toISOString() } : {}),
        via,
      },
    });
  }
}

function current(row: SessionRow): { state: AgentState | null; since: number | null; message: string | null } {
  return { state: isAgentState(row.state) ? row.state : null, since: row.state_since, message: row.state_message };
}
