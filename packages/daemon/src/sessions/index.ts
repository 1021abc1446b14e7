/** The agent session layer: detached pty hosts, ojd's supervisor and handles, liveness. */
export {
  SessionSupervisor,
  type SessionSupervisorOptions,
  type SessionStartSpec,
  type ReconnectResult,
  type StopAllOptions,
} from './session-supervisor.js';
export { SessionHandle, type SessionEnd, type KillOptions } from './session-handle.js';
export { SessionHostClient, type SessionHostClientOptions } from './session-host-client.js';
export { sessionPaths, readExitRecord, type SessionPaths, type ExitRecord } from './session-files.js';
export {
  classifyClaudeLog,
  classifyApiError,
  parseClaudeLogLine,
  type ClaudeAgentState,
  type ApiErrorReason,
  type ClaudeApiError,
  type ClaudeLogEntry,
  type ClaudeLogStatus,
  type ClassifyOptions,
} from './claude-log.js';
export {
  claudeConfigDir,
  claudeProjectDir,
  claudeProjectDirName,
  findClaudeLog,
  readClaudeStatus,
  readLastLines,
  type ClaudeLogLookup,
  type ClaudeLogReading,
} from './claude-log-locator.js';
export { assessLiveness, isStuck, type Heartbeat, type AgentActivity, type Liveness, type LivenessInput } from './liveness.js';
