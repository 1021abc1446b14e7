/** The persisted state of one pipeline, and the plan (its phases) it follows. */
import type { PipelineStatusName } from '@oj/protocol';

/** One of the protocol's PIPELINE_STATUSES. */
export type PipelineStatus = PipelineStatusName;

/** A pipeline under way: not yet ended. */
export const ACTIVE_STATUSES: readonly PipelineStatus[] = ['pending', 'running', 'waiting', 'escalated'];

/** A pipeline that has ended. */
export const TERMINAL: ReadonlySet<PipelineStatus> = new Set(['done', 'failed', 'cancelled']);

/** What a waiting pipeline waits for, as shown by `oj pipeline show`. */
export interface WaitReason {
  kind: 'lock' | 'semaphore' | 'guard' | 'event' | 'human' | 'workspace';
  name: string;
  detail?: string;
}

/** One step of a recovery chain: `escalate`, `restart:2`, `nudge`... */
export interface ChainStep {
  action: string;
  max?: number;
}

export type OnFail = { kind: 'phase'; phase: string } | { kind: 'chain'; steps: ChainStep[] };

/** What the state machine needs to know of a phase (the executor sees the full definition). */
export interface PhasePlan {
  name: string;
  /** Explicit next phase; null ends the pipeline; absent: the following phase in file order. */
  next?: string | null;
  onFail?: OnFail;
}

export interface PipelinePlan {
  phases: PhasePlan[];
  /** A phase entered more often than this fails the pipeline (circuit breaker). */
  maxPhaseVisits: number;
  /** Whether a workspace must be prepared before the first phase. */
  needsWorkspace: boolean;
}

export interface PipelineState {
  /** The stored key, unique across projects (see pipeline-ids.ts); what storage, holds and events' subjects use. */
  id: string;
  /** The pipeline's id within its project (`build-auth`): what users see and type, and what event names carry. */
  handle: string;
  status: PipelineStatus;
  phase: string | null;
  /** Increments each time a phase run starts; results of older runs are ignored. */
  run: number;
  visits: Record<string, number>;
  /** Per phase: how far its on_fail chain has advanced, and restarts used per step. */
  recovery: Record<string, { step: number; used: number }>;
  waitingFor: WaitReason | null;
  error: string | null;
  failureCount: number;
  createdAt: number;
  updatedAt: number;
  phaseStartedAt: number | null;
  finishedAt: number | null;
}

export function newPipelineState(id: string, now: number, handle: string = id): PipelineState {
  return {
    id,
    handle,
    status: 'pending',
    phase: null,
    run: 0,
    visits: {},
    recovery: {},
    waitingFor: null,
    error: null,
    failureCount: 0,
    createdAt: now,
    updatedAt: now,
    phaseStartedAt: null,
    finishedAt: null,
  };
}
