/**
 * The data of an `escalate` event, the same shape whoever escalates (a
 * phase's on_fail, an agent, a guard, a strategy, a lock or semaphore, a
 * queue, a monitor). The escalation service turns each event into a record
 * (`oj escalation list`): its source, reason, pipeline, phase and session
 * come from these fields; an agent's prompt (a permission, a plan, a
 * question) rides as `prompt: { kind, text, choices }`.
 */
import type { AgentPrompt, JsonValue } from '@oj/protocol';

/**
 * Who asks for a human. An agent's prompt waiting for an answer: `permission`
 * (allow / deny), `plan` (approve / reject), `question` (one of its choices).
 */
export type EscalationSource =
  | 'pipeline'
  | 'agent'
  | 'permission'
  | 'plan'
  | 'question'
  | 'guard'
  | 'strategy'
  | 'lock'
  | 'semaphore'
  | 'queue'
  | `monitor:${string}`;

export interface EscalateFacts {
  source: EscalationSource;
  /** What a human reads first: what happened and where. */
  reason: string;
  /** The failure behind it, when it is more than the reason says (else the reason). */
  error?: string;
  /** The pipeline it concerns: its id in its project (or its stored key). */
  pipeline?: string | null;
  phase?: string | null;
  /** A live agent session a human can message (not one that has ended). */
  session?: string | null;
  /** The context's own fields (guard, strategy, lock, holder, queue, id, item...); the fields above win. */
  detail?: Record<string, string | number>;
}

export type EscalateData = Record<string, string | number>;

export function escalateData(f: EscalateFacts): EscalateData {
  return {
    ...(f.detail ?? {}),
    source: f.source,
    reason: f.reason,
    error: f.error ?? f.reason,
    ...(f.pipeline ? { pipeline: f.pipeline } : {}),
    ...(f.phase ? { phase: f.phase } : {}),
    ...(f.session ? { session: f.session } : {}),
  };
}

/** The data with the agent's prompt it decides (sources permission, plan, question). */
export function withPrompt(data: EscalateData, prompt: AgentPrompt): Record<string, JsonValue> {
  return { ...data, prompt: { kind: prompt.kind, text: prompt.text, choices: [...prompt.choices] } };
}
