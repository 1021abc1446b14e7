/** Tables of escalations (schema version 6). */
import type { EscalationMethods } from '@oj/protocol';
import type { Generated } from 'kysely';

export interface EscalationsTable {
  id: Generated<number>;
  project: string;
  pipeline_id: string | null;
  session_id: string | null;
  phase: string | null;
  source: string;
  reason: string;
  status: EscalationMethods.EscalationStatus;
  event_id: number | null;
  created_at: number;
  bumped_at: number | null;
  bumps: number;
  resolved_at: number | null;
  resolution: string | null;
  note: string | null;
  /** Schema 15: the agent prompt it decides (JSON AgentPrompt), for sources permission, plan, question. */
  prompt: string | null;
}

export interface EscalationTables {
  escalations: EscalationsTable;
}
