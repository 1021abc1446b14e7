/**
 * The resolved runbook model: what a loaded project holds for every primitive,
 * with defaults filled in and every reference resolved to a qualified id.
 *
 * Field names are the runbook's own (snake_case) so the model, the TOML and
 * `oj runbook show` read the same. Everything is plain JSON data.
 */
import type { CronMethods } from '@oj/protocol';
import { builtinStep, type BuiltinAction, type ChainStep } from '../core/recovery/index.js';
import type { ArgSpec } from './arg-spec.js';
import type { Duration } from './duration.js';
import type { Kind } from './kinds.js';

/** A reference as written and the qualified id (`file.kind.name`) it resolved to. */
export interface Ref {
  ref: string;
  id: string;
}

/** One step of a recovery chain: `nudge`, `restart:2`, `watchdog.notify` (defined by the recovery module). */
export type { ChainStep };

/** Try each step in order until one succeeds. Empty: no recovery. */
export type Chain = ChainStep[];

/** Event hooks: `on_<event>` -> shell command. */
export type Hooks = Record<string, string>;

export interface PrimitiveBase<K extends Kind> {
  kind: K;
  name: string;
  /** The runbook (file name without .toml) that defines it. */
  file: string;
  /** `file.kind.name`. */
  id: string;
}

/** What a command or cron runs: a shell string or a pipeline. */
export type RunTarget = { type: 'shell'; shell: string } | { type: 'pipeline'; pipeline: Ref };

/**
 * `env` of a command or pipeline: names passed through from the caller of
 * `oj run`, and variables set (text templates, filled when the process starts).
 */
export interface EnvSpec {
  pass: string[];
  set: Record<string, string>;
}

export interface Command extends PrimitiveBase<'command'> {
  description: string;
  /** Parsed `args`, with `aliases` folded into the options and `defaults` checked. */
  args: ArgSpec;
  run: RunTarget;
  env: EnvSpec;
}

export type IdleAction = { type: 'wait'; duration: Duration } | { type: 'stop' };

export interface Worker extends PrimitiveBase<'worker'> {
  queue: Ref;
  /** A pipeline. */
  handler: Ref;
  concurrency: number;
  idle_action: IdleAction;
  /** Event patterns (may hold placeholders) that wake the worker early. */
  wake_on: string[];
  events: Hooks;
}

/** What a cron does with slots missed while the daemon was down (core/cron/catch-up.ts). */
export type CatchUpPolicy = CronMethods.CatchUpPolicy;

/** A cron runs every `interval` (from when it is enabled) or on the calendar of `schedule`: one of the two. */
export interface Cron extends PrimitiveBase<'cron'> {
  interval: Duration | null;
  /** A cron expression: 5 fields, 6 with seconds first, or a nickname (`@daily`). */
  schedule: string | null;
  /** The IANA zone of `schedule`; null: the daemon's local zone. */
  timezone: string | null;
  /** `schedule` only: every slot starts later by a fixed offset under this, taken from the cron's project and name. */
  jitter: Duration | null;
  catch_up: CatchUpPolicy;
  /** `catch_up = "all"`: at most this many missed slots run. */
  max_catch_up: number;
  monitors: Ref[];
  run: RunTarget | null;
  events: Hooks;
}

export interface OrderTerm {
  field: string;
  direction: 'asc' | 'desc';
}

export interface Queue extends PrimitiveBase<'queue'> {
  /** Shell command printing a JSON array of items with `id`, or null for a persisted queue. */
  source: string | null;
  /** Ordering terms; ties are always broken by created_at then id. */
  order: { text: string; terms: OrderTerm[] };
  visibility_timeout: Duration;
  max_retries: number;
  on_exhaust: Chain;
  dead: { retention: Duration };
}

export type PhaseRun =
  | { type: 'shell'; shell: string }
  | { type: 'agent'; agent: Ref }
  | { type: 'strategy'; strategy: Ref }
  | { type: 'none' };

export type OnFail = { type: 'phase'; phase: string } | { type: 'chain'; chain: Chain };

export interface Phase {
  name: string;
  index: number;
  run: PhaseRun;
  pre: Ref[];
  post: Ref[];
  lock: Ref | null;
  semaphore: Ref | null;
  /** The phase that follows on success, or null when the pipeline completes. */
  next: string | null;
  /** null: the pipeline fails. */
  on_fail: OnFail | null;
  cwd: string | null;
  timeout: Duration | null;
}

export interface Pipeline extends PrimitiveBase<'pipeline'> {
  inputs: string[];
  defaults: Record<string, string>;
  phase: Phase[];
  events: Hooks;
  /** Circuit breaker: how often one phase may run in one pipeline instance. */
  max_phase_visits: number;
  env: EnvSpec;
}

/** How the rendered prompt is handed to the agent command. */
export type PromptArg =
  | { type: 'last' }
  | { type: 'file' }
  | { type: 'none' }
  | { type: 'flag'; flag: string };

export interface AgentInput {
  name: string;
  source: string;
}

export type Heartbeat = 'output' | 'claude' | 'none';

export interface Agent extends PrimitiveBase<'agent'> {
  command: string;
  prompt: string | null;
  /** As written, relative to the project root. */
  prompt_file: string | null;
  /** Absolute path of prompt_file. */
  prompt_path: string | null;
  prompt_arg: PromptArg;
  inputs: AgentInput[];
  cwd: string | null;
  env: Record<string, string>;
  timeout: Duration | null;
  idle_timeout: Duration;
  heartbeat: Heartbeat;
  on_stuck: Chain;
  on_timeout: Chain;
  on_exit: Chain;
  on_error: Chain;
  /** With hooks: the chain run when the agent has sat `idle` (its turn over, no `oj done`) for idle_timeout. */
  on_idle: Chain;
  /** With hooks: how long a permission prompt may wait before it is escalated. */
  permission_timeout: Duration;
  /** The keys that answer the agent's permission prompt (Claude Code: 1 = yes, 3 = no). */
  permission_keys: { allow: string; deny: string };
  /** The keys that answer a plan waiting for approval (Claude Code: 1 = its first "Yes", Esc = no, keep planning). */
  plan_keys: { approve: string; reject: string };
  /** The keys that pick a question's n-th choice: `down` n-1 times, then `select` (Claude Code: arrow down, Enter). */
  question_keys: { down: string; select: string };
}

export interface Guard extends PrimitiveBase<'guard'> {
  condition: string;
  retry: { max: number; interval: Duration };
  timeout: Duration | null;
  on_timeout: Chain;
  wake_on: string[];
}

export type AttemptRun = { type: 'shell'; shell: string } | { type: 'agent'; agent: Ref };

export interface Attempt {
  name: string;
  index: number;
  run: AttemptRun;
  timeout: Duration | null;
  rollback: string | null;
}

export interface Strategy extends PrimitiveBase<'strategy'> {
  checkpoint: string | null;
  attempt: Attempt[];
  on_exhaust: Chain;
}

export interface Lock extends PrimitiveBase<'lock'> {
  timeout: Duration | null;
  heartbeat: Duration;
  on_stale: Chain;
}

export interface Semaphore extends PrimitiveBase<'semaphore'> {
  max: number;
  slot_timeout: Duration | null;
  slot_heartbeat: Duration;
  on_orphan: Chain;
  on_orphan_work: Chain;
}

export interface Monitor extends PrimitiveBase<'monitor'> {
  source: string | null;
  condition: string | null;
  /** Exactly one of response and action is set. */
  response: Chain | null;
  action: string | null;
}

export interface Action extends PrimitiveBase<'action'> {
  /**
   * The operation. Empty for an `[action.<built-in>]` without `run`: that
   * only tunes the built-in (cooldown, max_attempts), and chain steps naming
   * it stay built-in (`builtin: true`, `id` set).
   */
  run: string;
  cooldown: Duration;
  max_attempts: number | null;
}

export interface PrimitiveByKind {
  command: Command;
  worker: Worker;
  cron: Cron;
  queue: Queue;
  pipeline: Pipeline;
  agent: Agent;
  guard: Guard;
  strategy: Strategy;
  lock: Lock;
  semaphore: Semaphore;
  monitor: Monitor;
  action: Action;
}

export type Primitive = PrimitiveByKind[Kind];

/** One runbook file. */
export interface RunbookFile {
  /** File name without .toml; the runbook's name. */
  name: string;
  /** Absolute path. */
  path: string;
  /** Path as shown in messages (relative to the project root). */
  display: string;
  /** File-level `[events]` hooks: apply to every pipeline, worker and cron of the file. */
  events: Hooks;
  /** File-level `[safety]` table (monitors: protected paths, dry runs), if the file has one. */
  safety?: Safety;
}

/** `[safety]`: what monitors must never touch, and whether they rehearse first. */
export interface Safety {
  /** Paths (relative to the project root, absolute, or `~/`; `*` and `**` globs) the file's monitors never act on. */
  protected: string[];
  /**
   * `first` (default): a match is only reported (a dry run) on the first tick
   * it is seen and acted on from the next tick on, if it still matches;
   * `always`: only ever report; `off`: act at once.
   */
  dry_run: 'first' | 'always' | 'off';
}

// ---- Defaults: what a primitive gets for a field its runbook leaves out.
// The parser fills them in; a service that needs the settings of something
// the runbooks no longer define (a queue's leftover items, a lock's leftover
// holder) uses these same ones. Durations as runbooks write them; chains as
// step names (resolved like written ones: a runbook `[action.x]` first).

export const QUEUE_DEFAULTS = {
  order: 'created_at ASC',
  visibility_timeout: '30m',
  max_retries: 3,
  on_exhaust: ['dead'],
  retention: '7d',
} as const;

export const CRON_DEFAULTS = {
  catch_up: 'latest' as CatchUpPolicy,
  max_catch_up: 10,
  /** The most `max_catch_up` may be (the missed slots counted: core/cron MISSED_COUNT_CAP). */
  max_catch_up_limit: 1000,
} as const;

export const WORKER_DEFAULTS = {
  concurrency: 1,
  /** The wait of the default idle action, `wait:<idle_wait>`. */
  idle_wait: '30s',
} as const;

export const LOCK_DEFAULTS = { heartbeat: '30s', on_stale: ['release'] } as const;

export const SEMAPHORE_DEFAULTS = { slot_heartbeat: '1m', on_orphan: ['reclaim'], on_orphan_work: ['requeue'] } as const;

export const GUARD_DEFAULTS = {
  retry_max: 0,
  retry_interval: '10s',
  on_timeout: ['escalate'],
} as const;

export const AGENT_DEFAULTS = {
  prompt_arg: 'last',
  idle_timeout: '5m',
  heartbeat: 'output' as Heartbeat,
  on_stuck: ['nudge', 'escalate'],
  on_timeout: ['escalate'],
  on_exit: [] as BuiltinAction[],
  on_error: [] as BuiltinAction[],
  on_idle: ['nudge', 'escalate'],
  permission_timeout: '10m',
  permission_keys: { allow: '1', deny: '3' },
  plan_keys: { approve: '1', reject: '\u001b' },
  question_keys: { down: '\u001b[B', select: '\r' },
} as const;

export const STRATEGY_DEFAULTS = { on_exhaust: ['escalate'] } as const;

export const ACTION_DEFAULTS = { cooldown: '0s' } as const;

/** A default chain as built-in steps, for settings no runbook resolved (nothing it names is a runbook action). */
export function builtinChain(actions: readonly BuiltinAction[]): Chain {
  return actions.map(builtinStep);
}
