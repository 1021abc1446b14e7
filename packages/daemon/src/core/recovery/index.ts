/**
 * The one recovery module: the actions a chain step can name, the table of
 * which of them each context runs (checked when a project loads), the chain
 * cursor, and the `escalate` event's data. Every interpreter of a chain (a
 * phase's on_fail, an agent's supervision, a guard, a strategy, a lock or
 * semaphore, a queue's on_exhaust, a monitor) goes through it.
 */
export {
  BUILTIN_ACTIONS,
  BUILTIN_ACTION_EFFECTS,
  actionOf,
  builtinStep,
  isBuiltinAction,
  unreachable,
  type BuiltinAction,
  type ChainStep,
  type RecoveryAction,
  type StepIdentity,
} from './actions.js';
export {
  RECOVERY_CONTEXTS,
  RECOVERY_CONTEXT_NAMES,
  acceptedText,
  actionIn,
  actionsIn,
  checkStep,
  hasBuiltin,
  supports,
  type ActionIn,
  type BuiltinIn,
  type RecoveryContext,
  type RecoveryContextSpec,
} from './contexts.js';
export { START, allowance, exhausted, parseCursor, peekStep, skipStep, takeStep, type Counted, type Cursor, type NextStep, type Taken } from './cursor.js';
export { escalateData, withPrompt, type EscalateData, type EscalateFacts, type EscalationSource } from './escalate.js';
