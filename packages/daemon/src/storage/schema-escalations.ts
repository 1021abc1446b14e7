/** Tables of escalations (schema version 6). */

export interface EscalationsTable {
  id: import('kysely').Generated<number>;
  project: string;
  pipeline_id: string | null;
  session_id: string | null;
  phase: string | null;
  source: string;
  reason: string;
  status: string;
  event_id: number | null;
  created_at: number;
  bumped_at: number | null;
  bumps: number;
  resolved_at: number | null;
  resolution: string | null;
  note: string | null;
}

export interface EscalationTables {
  escalations: EscalationsTable;
}
