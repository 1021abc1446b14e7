/** Tables of agent sessions (schema version 5). */
import type { SessionMethods } from '@oj/protocol';
import type { Heartbeat } from '../runbook/model.js';

export interface SessionsTable {
  id: string;
  project: string;
  pipeline_id: string | null;
  phase: string | null;
  run: number | null;
  /** Qualified agent id. */
  agent: string;
  status: SessionMethods.SessionStatus;
  exit_code: number | null;
  cwd: string;
  dir: string;
  /** The agent's heartbeat setting when it started. */
  heartbeat: Heartbeat;
  restarts: number;
  started_at: number;
  ended_at: number | null;
  /** Schema 13: what the agent reports it does (an AgentState), since when, with what message. */
  state: string | null;
  state_since: number | null;
  state_message: string | null;
  transcript_path: string | null;
  /** Schema 15: for needs_permission, the prompt (JSON AgentPrompt); for failed, why as oj names it (a FailureReason), and when a rate limit resets (ms). */
  state_prompt: string | null;
  state_reason: string | null;
  state_until: number | null;
  /** JSON array of { at, tool, path, reason }: tool uses the safety hook blocked. */
  blocked: string;
}

export interface SessionTables {
  sessions: SessionsTable;
}
