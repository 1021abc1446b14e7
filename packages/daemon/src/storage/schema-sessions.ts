/** Tables of agent sessions (schema version 5). */

export interface SessionsTable {
  id: string;
  project: string;
  pipeline_id: string | null;
  phase: string | null;
  run: number | null;
  /** Qualified agent id. */
  agent: string;
  status: string;
  exit_code: number | null;
  cwd: string;
  dir: string;
  heartbeat: string;
  restarts: number;
  started_at: number;
  ended_at: number | null;
  /** Schema 13: what the agent reports it does (an AgentState), since when, with what message. */
  state: string | null;
  state_since: number | null;
  state_message: string | null;
  transcript_path: string | null;
  /** JSON array of { at, tool, path, reason }: tool uses the safety hook blocked. */
  blocked: string;
}

export interface SessionTables {
  sessions: SessionsTable;
}
