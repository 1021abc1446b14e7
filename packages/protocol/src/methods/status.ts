/** `oj status`: the whole picture at a glance. */
import { z } from 'zod';
import { method } from '../rpc.js';
import type { DaemonStatus } from './daemon.js';
import type { PipelineInfo } from './pipelines.js';
import type { SessionInfo } from './sessions.js';
import type { PromptKind } from '../agent-state.js';

/**
 * One thing that needs a human: an escalated pipeline, one waiting for a
 * human, or an agent waiting at a prompt (`permission`, `plan`, `question`;
 * escalated or not yet). A pipeline escalated because its agent waits at a
 * prompt is listed once, as the prompt.
 */
export interface NeedsYou {
  kind: 'escalated' | 'waiting' | PromptKind;
  /** The pipeline's id in its project, and its stored key (unique across projects). */
  pipeline: string | null;
  key: string | null;
  project: string;
  phase: string | null;
  /** The agent session waiting at the prompt, if it is one. */
  session: string | null;
  /** Why: the prompt's text (`plan: ...`, `question: ... [a | b]`), or the pipeline's wait or error. */
  message: string;
  /** Since when (ISO). */
  since: string;
  /** The open escalation that decides it, if there is one. */
  escalation: number | null;
}

/** One section a capability contributes (workers, crons, locks, semaphores...): records with the same keys. */
export interface OverviewSection {
  title: string;
  rows: Record<string, string | number | boolean | null>[];
}

export interface StatusOverview {
  daemon: DaemonStatus;
  /** The project it is scoped to, or null for every project. */
  project: string | null;
  /** Pipelines under way (running, waiting, escalated). */
  active: PipelineInfo[];
  /** What needs a human: escalated pipelines, pipelines waiting for one, agents waiting at a prompt. */
  needsYou: NeedsYou[];
  /** The latest failed pipelines. */
  recentFailures: PipelineInfo[];
  sessions: SessionInfo[];
  sections: Record<string, OverviewSection>;
  /** Runbook load problems of the project(s). */
  runbookErrors: string[];
}

export const Overview = method<StatusOverview>()(
  'status.overview',
  () => z.object({ project: z.string().optional() }).strict().optional(),
  'Everything `oj status` shows: what runs, what waits, what is stuck, what needs a human.',
);
