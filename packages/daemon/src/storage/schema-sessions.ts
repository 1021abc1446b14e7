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
}

export interface SessionTables {
  sessions: SessionsTable;
}
