/**
 * What the engine runs: a pipeline definition as resolved from the runbooks,
 * snapshotted into the pipeline's row when it is created so that editing a
 * runbook never changes a pipeline already under way.
 */
import type { OnFail, PipelinePlan } from './pipeline-state.js';

export interface PhaseDefinition {
  name: string;
  /** Shell script. */
  run?: string;
  /** Qualified agent id, when the phase runs an agent. */
  agent?: string;
  /** Qualified strategy id, when the phase applies a strategy. */
  strategy?: string;
  pre: string[];
  post: string[];
  lock?: string;
  semaphore?: string;
  /** The phase after this one on success; null: the pipeline completes. */
  next?: string | null;
  onFail?: OnFail;
  cwd?: string;
  timeoutMs?: number;
}

export interface PipelineDefinition {
  /** Runbook file (without .toml). */
  runbook: string;
  name: string;
  inputs: string[];
  /** Values derived from inputs, e.g. branch = "feature/{name}" (plain-text interpolation). */
  defaults: Record<string, string>;
  phases: PhaseDefinition[];
  /** `[pipeline.X.events]`: on_phase, on_complete, on_fail... -> shell command. */
  hooks: Record<string, string>;
  /** Circuit breaker for this pipeline (else the project's config applies). */
  maxPhaseVisits?: number;
  /** What its processes get on top of the daemon's environment (absent: nothing). */
  env?: PipelineEnv;
}

/**
 * A pipeline's environment layers, fixed when it is created; later layers win
 * (then the OJ_* variables, which nothing overrides).
 */
export interface PipelineEnv {
  /** Variables of the `oj run` caller that the command or the pipeline passes through, with the caller's values. */
  passed: Record<string, string>;
  /** The pipeline's `env` table: text templates, filled when each process starts. */
  set: Record<string, string>;
  /** The starting command's `env` table, already filled with its arguments. */
  command: Record<string, string>;
}

/** Plans made, by definition and limit: a definition is immutable once made, so is its plan. */
const plans = new WeakMap<PipelineDefinition, Map<number, PipelinePlan>>();

/** The machine's view of a definition (the same object each time for the same definition object and limit; nothing changes it). */
export function planOf(def: PipelineDefinition, maxPhaseVisits: number): PipelinePlan {
  let byLimit = plans.get(def);
  if (!byLimit) plans.set(def, (byLimit = new Map()));
  const known = byLimit.get(maxPhaseVisits);
  if (known) return known;
  const plan: PipelinePlan = {
    phases: def.phases.map((p) => ({
      name: p.name,
      ...(p.next !== undefined ? { next: p.next } : {}),
      ...(p.onFail !== undefined ? { onFail: p.onFail } : {}),
    })),
    maxPhaseVisits: def.maxPhaseVisits ?? maxPhaseVisits,
    needsWorkspace: 'workspace' in def.defaults || 'branch' in def.defaults,
  };
  byLimit.set(maxPhaseVisits, plan);
  return plan;
}
