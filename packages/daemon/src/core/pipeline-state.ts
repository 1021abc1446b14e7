/** The persisted state of one pipeline, and the plan (its phases) it follows. */
import { PIPELINE_STATUSES, type PipelineStatusName } from '@oj/protocol';

/** One of the protocol's PIPELINE_STATUSES. */
export type PipelineStatus = PipelineStatusName;

/** A pipeline that has ended. */
export const TERMINAL: ReadonlySet<PipelineStatus> = new Set(['done', 'failed', 'cancelled']);

/** The statuses of a pipeline still under way: not yet ended. */
export const ACTIVE_STATUSES: readonly PipelineStatus[] = PIPELINE_STATUSES.filter((s) => !TERMINAL.has(s));

/** What a waiting pipeline waits for, as shown by `oj pipeline show`. */
export interface WaitReason {
  kind: 'lock' | 'semaphore' | 'guard' | 'event' | 'human' | 'workspace';
  name: string;
  detail?: string;
}

/**
 * One step of a phase's on_fail chain as a pipeline's definition stores it:
 * `escalate`, `restart:2`, or a runbook action (`runbook`: its qualified id;
 * absent for a built-in, and in definitions stored before it was recorded).
 */
export interface OnFailStep {
  action: string;
  max?: number;
  runbook?: string;
}

export type OnFail = { kind: 'phase'; phase: string } | { kind: 'chain'; steps: OnFailStep[] };

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
  /** Per phase: how far its on_fail chain has advanced (a core/recovery cursor). */
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
