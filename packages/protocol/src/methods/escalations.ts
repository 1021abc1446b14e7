/** Escalations: decisions that need a human. */
import { z } from 'zod';
import { method } from '../rpc.js';
import { once } from '../once.js';
import type { AgentPrompt } from '../agent-state.js';

export const ESCALATION_STATUSES = ['open', 'resolved'] as const;
export type EscalationStatus = (typeof ESCALATION_STATUSES)[number];

export interface EscalationOption {
  /** 1-based number shown to the human. */
  number: number;
  /**
   * allow | deny (a permission prompt), approve | reject (a plan), a choice's
   * label (a question), retry | done | goto | cancel | message | dismiss
   */
  choice: string;
  label: string;
}

export interface EscalationInfo {
  id: number;
  project: string;
  pipeline: string | null;
  session: string | null;
  phase: string | null;
  /** What raised it: pipeline, agent, permission, plan, question, guard, strategy, monitor:NAME... */
  source: string;
  reason: string;
  /** An agent's prompt it decides (source permission, plan or question): the plan's text, the question and its choices. */
  prompt: AgentPrompt | null;
  status: EscalationStatus;
  options: EscalationOption[];
  createdAt: string;
  bumpedAt: string | null;
  bumps: number;
  resolvedAt: string | null;
  resolution: string | null;
  note: string | null;
}

const id = once(() => z.number().int().min(1));

export const List = method<{ escalations: EscalationInfo[] }>()(
  'escalations.list',
  () => z.object({ project: z.string().optional(), status: z.enum(ESCALATION_STATUSES).optional() }).strict().optional(),
  'Escalations, newest first.',
);

export const Show = method<{ escalation: EscalationInfo }>()('escalations.show', () => z.object({ id: id() }).strict(), 'One escalation.');

export const Bump = method<{ escalation: EscalationInfo }>()(
  'escalations.bump',
  () => z.object({ id: id() }).strict(),
  'Raise an open escalation again (notifies again).',
);

export const Resolve = method<{ escalation: EscalationInfo; action: string }>()(
  'escalations.resolve',
  () =>
    z
      .object({
        id: id(),
        /** An option number or name (allow, approve, a question's choice, retry, done, goto, cancel, message, dismiss); default: dismiss. */
        choice: z.union([z.number().int().min(1), z.string().min(1)]).optional(),
        message: z.string().optional(),
        phase: z.string().optional(),
        note: z.string().optional(),
      })
      .strict(),
  'Resolve an escalation by acting on its pipeline (retry the phase, mark it done, go to a phase, cancel, message the agent) or dismissing it.',
);
