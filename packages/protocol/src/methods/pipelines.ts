/** Pipelines: phased runs created by commands and workers. */
import { z } from 'zod';
import { PIPELINE_STATUSES, type EventRecord, type JsonValue } from '../models.js';
import { method, notification } from '../rpc.js';
import { once } from '../once.js';

export type PipelineStatusName = (typeof PIPELINE_STATUSES)[number];

export interface PipelineInfo {
  /** The pipeline's id, unique within its project (`build-auth`; each project's first `build auth` has it). */
  id: string;
  /**
   * Its key, unique across projects: `id` itself, or `<id>.<project tag>`
   * (`build-auth.web-3f9a1c2b`) when a pipeline of another project had that
   * id first. Events (as subject), lock holders, `$OJ_PIPELINE` and its log
   * and workspace directories name it by its key; every pipeline command
   * accepts it, in any project.
   */
  key: string;
  project: string;
  runbook: string;
  /**
   * The pipeline's handle, the same as `id`: what every `oj pipeline`
   * command accepts in its project, so a monitor item's `{name}` reaches
   * this very pipeline.
   */
  name: string;
  /** The pipeline definition it runs (`build` for `build-auth`). */
  kind: string;
  status: PipelineStatusName;
  phase: string | null;
  waitingFor: { kind: string; name: string; detail?: string } | null;
  error: string | null;
  failureCount: number;
  workspace: string | null;
  label: string | null;
  archived: boolean;
  vars: Record<string, JsonValue>;
  owner: Record<string, JsonValue> | null;
  createdAt: string;
  updatedAt: string;
  phaseStartedAt: string | null;
  finishedAt: string | null;
  /** Phases of the definition, in order. */
  phases: string[];
  /** The agent session of the current phase, while one runs. */
  session: string | null;
}

/** How a run of a phase went (`running` while under way). */
export type PhaseRunStatus = 'running' | 'done' | 'failed' | 'cancelled' | 'skipped';

export interface PhaseRunInfo {
  run: number;
  phase: string;
  status: PhaseRunStatus;
  exitCode: number | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  logPath: string | null;
}

/** One phase of a pipeline's definition as a graph: where success and failure lead from it. */
export interface PhaseGraphNode {
  name: string;
  /** What it runs: a shell `run`, an agent, a strategy (or nothing). */
  work: 'shell' | 'agent' | 'strategy' | 'none';
  /** The phase after it on success (its `next`, else the following phase); null: the pipeline completes. */
  next: string | null;
  /** Its `on_fail`: another phase, or a chain of recovery steps as written (`restart:2`, `escalate`); null: the pipeline fails. */
  onFail: { phase: string } | { chain: string[] } | null;
}

export interface CheckpointInfo {
  phase: string | null;
  message: string;
  time: string;
}

const id = once(() => z.string().min(1).max(300));
const project = once(() => z.string().min(1));

export const Create = method<{ pipeline: PipelineInfo }>()(
  'pipelines.create',
  () =>
    z
      .object({
        project: project(),
        /** A pipeline reference: `fix`, `pipeline.fix`, `bugfix.fix`. */
        pipeline: z.string().min(1),
        inputs: z.record(z.string(), z.unknown()).optional(),
        label: z.string().optional(),
      })
      .strict(),
  'Create and start a pipeline from a definition with the given inputs.',
);

export const List = method<{
  pipelines: PipelineInfo[];
  /** How many pipelines match the filters, ignoring `limit`. */
  total: number;
}>()(
  'pipelines.list',
  () =>
    z
      .object({
        project: project().optional(),
        phase: z.array(z.string()).optional(),
        status: z.array(z.enum(PIPELINE_STATUSES)).optional(),
        active: z.boolean().optional(),
        hasSession: z.boolean().optional(),
        archived: z.boolean().optional(),
        limit: z.number().int().min(1).optional(),
      })
      .strict()
      .optional(),
  'List pipelines, newest first: at most `limit` (all without it), and `total`, how many match ignoring the limit. `active` = not done, failed or cancelled; `hasSession` = has an agent session (false: has none).',
);

export const Show = method<{
  pipeline: PipelineInfo;
  runs: PhaseRunInfo[];
  checkpoints: CheckpointInfo[];
  history: EventRecord[];
  /** Its phases and where each leads (`next`, `on_fail`), from the definition it runs. */
  graph: PhaseGraphNode[];
}>()(
  'pipelines.show',
  () => z.object({ id: id(), project: project().optional() }).strict(),
  'One pipeline with its phase runs, checkpoints, history and phase graph. `id` may be a unique prefix.',
);

export const Transition = method<{ pipeline: PipelineInfo }>()(
  'pipelines.transition',
  () => z.object({ id: id(), phase: z.string().min(1), project: project().optional() }).strict(),
  'Move a pipeline to the named phase (stopping the current one).',
);

export const Resume = method<{ pipeline: PipelineInfo }>()(
  'pipelines.resume',
  () => z.object({ id: id(), project: project().optional() }).strict(),
  'Run the current phase of a failed, escalated or waiting pipeline again.',
);

export const Cancel = method<{ pipeline: PipelineInfo }>()(
  'pipelines.cancel',
  () => z.object({ id: id(), reason: z.string().optional(), project: project().optional() }).strict(),
  'Cancel a pipeline; its running phase is killed (whole process group).',
);

export const Checkpoint = method<{ checkpoint: CheckpointInfo }>()(
  'pipelines.checkpoint',
  () => z.object({ id: id(), message: z.string(), project: project().optional() }).strict(),
  'Record progress on a pipeline (event `pipeline:checkpoint`).',
);

export const Label = method<{ pipeline: PipelineInfo }>()(
  'pipelines.label',
  () => z.object({ id: id(), label: z.string(), project: project().optional() }).strict(),
  'Set a pipeline\'s label (event `pipeline:labelled` with `label` and `previous`; its followers get a `pipelines.update`). The same label again changes nothing.',
);

export const Archive = method<{ pipeline: PipelineInfo }>()(
  'pipelines.archive',
  () => z.object({ id: id(), project: project().optional() }).strict(),
  'Hide a finished pipeline from lists (it stays in the database; event `pipeline:archived`). An archived one stays so.',
);

export const Wait = method<{ results: { id: string; status: PipelineStatusName }[]; timedOut: boolean }>()(
  'pipelines.wait',
  () =>
    z
      .object({
        ids: z.array(id()).min(1),
        all: z.boolean().optional(),
        timeoutMs: z.number().int().min(0).optional(),
        project: project().optional(),
      })
      .strict(),
  'Wait until one (or, with `all`, every) pipeline has ended, or the timeout passes.',
);

export const Follow = method<{ subscription: string; pipeline: PipelineInfo }>()(
  'pipelines.follow',
  () =>
    z
      .object({
        id: id(),
        project: project().optional(),
        /**
         * Where the output starts: byte `offset` of run `run`'s log, then every
         * later run from its beginning (`{ run: 0, offset: 0 }`: all of it; the
         * `size` of a `pipelines.logs` entry: right after what that printed).
         * Without it, from what the current run prints next.
         */
        from: z.object({ run: z.number().int().min(0), offset: z.number().int().min(0) }).strict().optional(),
        /** false: status changes only, no output. */
        output: z.boolean().optional(),
      })
      .strict(),
  'Stream a pipeline\'s status changes and phase output (read from its logs at the pace the client reads) as `pipelines.update` notifications until it ends.',
);

/** `size`: the byte offset in the log where `text` ends (a follow can start there: `from`). */
export const Logs = method<{ entries: { run: number; phase: string; path: string; text: string; size: number }[] }>()(
  'pipelines.logs',
  () => z.object({ id: id(), phase: z.string().optional(), project: project().optional() }).strict(),
  'The output of a pipeline\'s phase runs (the last 1 MiB of each).',
);

export const Prune = method<{ pruned: string[] }>()(
  'pipelines.prune',
  () =>
    z
      .object({
        project: project().optional(),
        failed: z.boolean().optional(),
        olderThanMs: z.number().int().min(0).optional(),
        dryRun: z.boolean().optional(),
      })
      .strict(),
  'Remove finished pipelines (done and cancelled; with `failed` also failed ones; one `pipeline:pruned` event each), then their logs and workspaces.',
);

export const Exists = method<{ exists: boolean; ids: string[] }>()(
  'pipelines.exists',
  () => z.object({ project: project().optional(), workspace: z.string().optional(), session: z.string().optional() }).strict(),
  'Whether an active pipeline uses the given workspace (or session).',
);

export type PipelineUpdate =
  | { kind: 'status'; pipeline: PipelineInfo }
  | { kind: 'output'; run: number; phase: string; data: string }
  /** The follower read too slowly for too long: no more output is sent to it (status updates still are); the log has it all. */
  | { kind: 'output_stopped'; reason: string };

export const Update = notification<{ subscription: string; id: string; update: PipelineUpdate }>()(
  'pipelines.update',
  'A followed pipeline changed (its status, phase, label...: `status` carries it as it is now) or its running phase printed output.',
);
