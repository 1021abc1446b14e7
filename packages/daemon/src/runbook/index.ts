/**
 * The runbook language: discovery, loading and validation, the resolved
 * model, argument binding, injection-safe interpolation and prompt templates.
 * Pure apart from reading project files and one process of its own: the
 * bash parser that checks shell templates runs in a short-lived child
 * (code-context-decisions.ts; `useCodeContextFinder` swaps in the in-process
 * one). Agent input sources run through a caller-supplied executor.
 */

// Discovery and loading
export { findProjectRoot, listRunbookFiles, projectPaths, runbookName, OJ_DIR, RUNBOOKS_DIR, CONFIG_FILE } from './discovery.js';
export type { ProjectPaths } from './discovery.js';
export {
  loadProject,
  loadProjectSync,
  buildProject,
  buildProjectFromTexts,
  readProjectSources,
  readProjectSourcesSync,
  diskFiles,
} from './load-project.js';
export type { LoadResult, ProjectSources, InMemoryProject } from './load-project.js';
export { buildProjectPerFile, declaredCommands } from './load-per-file.js';
export type { FileProblem, PerFileResult } from './load-per-file.js';
export { checkPath } from './check-path.js';
export type { CheckResult, CronSchedulePreview } from './check-path.js';
export { parseProjectConfig, DEFAULT_CONFIG } from './project-config.js';
export type { ProjectConfig } from './project-config.js';
export { requiredInputs } from './assemble-project.js';
export type { ProjectModel, ProjectFileAccess } from './assemble-project.js';
export type { RunbookSource } from './parse-runbook-file.js';
export { KIND_FIELDS } from './parse-runbook-file.js';

// The project and its model
export { Project, LookupError } from './project.js';
export type { LookupResult } from './project.js';
export { listPrimitives, showPrimitive, summarize } from './show.js';
export { cronRunsFrom, cronSchedule, cronTiming } from './cron-schedule.js';
export type { CronTiming } from './cron-schedule.js';
export type { PrimitiveSummary } from './show.js';
export { KINDS, PROJECT_UNIQUE_KINDS, isKind, qualifiedId } from './kinds.js';
export type { Kind } from './kinds.js';
export type * from './model.js';
export { parseReference, resolveReference } from './reference.js';
export { didYouMean, closest, editDistance } from './did-you-mean.js';
export type { ReferenceParts, Resolution } from './reference.js';
export { BUILTIN_ACTIONS, BUILTIN_ACTION_EFFECTS, isBuiltinAction } from '../core/recovery/index.js';
export type { BuiltinAction } from '../core/recovery/index.js';
export { parseChainStep } from './parse-chain-step.js';
export { RUNTIME_NAMES, COMMAND_RUNTIME_NAMES, PIPELINE_RUNTIME_NAMES, AGENT_RUNTIME_NAMES } from './runtime-names.js';

// Errors
export { formatRunbookError, formatRunbookErrors, RunbookLoadError } from './runbook-error.js';
export type { RunbookError, ErrorLocation } from './runbook-error.js';

// Durations
export { parseDuration, formatDuration, duration } from './duration.js';
export type { Duration, DurationResult } from './duration.js';

// Command arguments
export { parseArgSpec } from './arg-spec.js';
export type { ArgSpec, ArgSpecError, ArgSpecResult, ArgValue, OptionArg, PositionalArg } from './arg-spec.js';
export { bindArgs } from './arg-bind.js';
export type { BindResult } from './arg-bind.js';
export { formatUsage } from './arg-usage.js';

// Interpolation
export {
  InterpolationContext,
  InterpolationError,
  WordList,
  argsLayer,
  bindItemToInputs,
  createContext,
  pipelineContext,
} from './interpolation-context.js';
export type { ContextLayer, PipelineContextParts } from './interpolation-context.js';
export { interpolateShell, checkShellTemplate } from './shell-interpolate.js';
export { useCodeContextFinder, type CodeContextFinder } from './code-context-decisions.js';
export { interpolateText, resolveDefaults } from './text-interpolate.js';
export { quoteWord } from './shell-quote.js';
export { parsePlaceholderPath } from './placeholder.js';

// Prompts and agents
export { renderTemplate, checkTemplate, TemplateError } from './prompt-template.js';
export { evaluateAgentInputs, parseSourceOutput, AgentInputError } from './agent-inputs.js';
export type { CommandExecutor, ExecResult } from './agent-inputs.js';
export { renderAgent, agentCommandLine, resolveAgentCwd, resolveAgentEnv } from './agent-prompt.js';
export type { AgentLaunchOptions, RenderedAgent } from './agent-prompt.js';
