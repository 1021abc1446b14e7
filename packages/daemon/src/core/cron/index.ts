/** The cron slot core: pure decisions about when a cron runs, skips and catches up. */
export { planAtStart, type StartPlan } from './catch-up.js';
export { alignedIntervalSchedule, intervalSchedule, nextSlotAfter, type Schedule } from './schedule.js';
export { recordSkip, skippedEvent } from './skips.js';
export { blankCronState, busyWith, step } from './slot.js';
export * from './types.js';
