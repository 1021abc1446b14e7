/** The monitor core: pure decisions about what a monitor does with each item on a tick. */
export { FRESH, allowance, monitorChain, type ActDecision, type ChainStepper, type Decision, type Progress, type StepSpec } from './chain.js';
export { PROTECTED, blankItemState, step } from './item.js';
export { passVerdicts, type ItemVerdict } from './pass.js';
export * from './types.js';
