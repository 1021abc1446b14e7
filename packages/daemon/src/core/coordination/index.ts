/** The lock and semaphore core: pure transitions of one resource's grants (holds and line). */
export { fitsNow, grantable, used } from './fit.js';
export { stepGrant } from './machine.js';
export { decideStale, staleSteps, type StaleAction, type StaleDecision, type StaleSituation } from './stale-response.js';
export { beatDue, nextAttention, staleNow, staleness, type Staleness } from './staleness.js';
export * from './types.js';
