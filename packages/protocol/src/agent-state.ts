/**
 * What an agent session is doing, as the agent itself reports it (Claude
 * Code's hooks through `oj session hook`, any other CLI through
 * `oj session report`): the names the daemon records and `oj session` shows.
 */

export const AGENT_STATES = ['starting', 'working', 'needs_permission', 'idle', 'failed', 'ended'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

/** The states `oj session report STATE` accepts (ended is the process's own end, or a report too). */
export const REPORTABLE_STATES: readonly AgentState[] = AGENT_STATES;

export function isAgentState(value: unknown): value is AgentState {
  return typeof value === 'string' && (AGENT_STATES as readonly string[]).includes(value);
}

/** The Claude Code hook events oj installs a command hook for (each calls `oj session hook`). */
export const CLAUDE_HOOK_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'PostToolUseFailure',
  'Notification',
  'Stop',
  'StopFailure',
  'SessionEnd',
] as const;

/** Tools that write files: a PreToolUse hook for one of these checks `[safety] protected`. */
export const FILE_WRITING_TOOLS = ['Write', 'Edit', 'MultiEdit', 'NotebookEdit'] as const;

/** The environment variable carrying the protected paths (JSON array of absolute entries) to `oj session hook`. */
export const PROTECTED_PATHS_ENV = 'OJ_PROTECTED_PATHS';
