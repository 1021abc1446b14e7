/**
 * Placeholder names the engine provides at run time, beyond what a runbook
 * declares. Load-time checks accept these; the engine must supply them.
 */
export const RUNTIME_NAMES = {
  project_root: 'absolute path of the project root',
  pipeline: 'the pipeline instance id, e.g. build-auth',
  id: 'the pipeline instance id (same as pipeline)',
  name: 'the pipeline instance id, unless an input or default is called name',
  workspace: "the pipeline instance's workspace directory",
  branch: "the pipeline instance's branch name (unless an input or default defines branch)",
  phase: 'the name of the current phase',
  error: 'the last error message of the pipeline instance ("" if none)',
  checkpoint: "output of the strategy's checkpoint command (strategy attempts and rollbacks)",
  session: 'the agent session id (agent prompts, env and command)',
} as const;

/** Names a command's shell `run` may use besides its arguments. */
export const COMMAND_RUNTIME_NAMES: readonly string[] = ['project_root'];

/** Names a pipeline's phases and defaults may use besides inputs and defaults. */
export const PIPELINE_RUNTIME_NAMES: readonly string[] = [
  'project_root',
  'pipeline',
  'id',
  'name',
  'workspace',
  'branch',
  'phase',
  'error',
];

/** Names an agent's prompt, `env`, `cwd` and `command` get besides the pipeline's values and the agent's own inputs. */
export const AGENT_RUNTIME_NAMES: readonly string[] = [...PIPELINE_RUNTIME_NAMES, 'session'];
