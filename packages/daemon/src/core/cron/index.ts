/** The cron slot core: pure decisions about when a cron runs, skips and catches up. */
export { backlogNext, LATE_GRACE_MS, MISSED_COUNT_CAP, planDue, type CatchUp, type CatchUpPolicy, type DuePlan, type Missed } from './catch-up.js';
export { jitterOffset } from './jitter.js';
export { alignedIntervalSchedule, calendarSchedule, intervalSchedule, jittered, nextSlotAfter, upcoming, type Schedule } from './schedule.js';
export { recordSkip, skippedEvent } from './skips.js';
export { blankCronState, busyWith, missedSlotsToAsk, slotToClaim, step } from './slot.js';
export * from './types.js';
