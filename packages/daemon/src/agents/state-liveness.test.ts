import { describe, expect, it } from 'vitest';
import { judgeState, type StateLivenessInput } from './state-liveness.js';

const base: StateLivenessInput = {
  state: 'working',
  since: 0,
  message: null,
  now: 10_000,
  lastSignOfLife: 0,
  baseline: 0,
  idleTimeoutMs: 5_000,
  permissionTimeoutMs: 60_000,
  permissionEscalated: false,
  failureHandled: false,
};

describe('judgeState', () => {
  it('idle_timeout counts only while working', () => {
    expect(judgeState(base)).toEqual({ kind: 'stuck', idleMs: 10_000 });
    expect(judgeState({ ...base, lastSignOfLife: 8_000 })).toEqual({ kind: 'fine' });
    expect(judgeState({ ...base, state: 'needs_permission', now: 59_000 })).toEqual({ kind: 'fine' });
  });
  it('a permission wait past permission_timeout escalates once', () => {
    expect(judgeState({ ...base, state: 'needs_permission', now: 60_000 })).toEqual({ kind: 'permission-timeout', waitedMs: 60_000 });
    expect(judgeState({ ...base, state: 'needs_permission', now: 60_000, permissionEscalated: true })).toEqual({ kind: 'fine' });
  });
  it('idle for idle_timeout takes on_idle, counted again from the last step', () => {
    expect(judgeState({ ...base, state: 'idle', since: 2_000, now: 6_000 })).toEqual({ kind: 'fine' });
    expect(judgeState({ ...base, state: 'idle', since: 2_000, now: 7_000 })).toEqual({ kind: 'idle', idleMs: 5_000 });
    expect(judgeState({ ...base, state: 'idle', since: 2_000, baseline: 7_000, now: 8_000 })).toEqual({ kind: 'fine' });
  });
  it('failures: unauthorized once, rate limits wait', () => {
    expect(judgeState({ ...base, state: 'failed', message: 'authentication_failed: Not logged in' })).toMatchObject({ kind: 'failed', reason: 'unauthorized' });
    expect(judgeState({ ...base, state: 'failed', message: 'authentication_failed', failureHandled: true })).toEqual({ kind: 'fine' });
    expect(judgeState({ ...base, state: 'failed', message: 'rate_limit: try later' })).toEqual({ kind: 'waiting-on-api', reason: 'rate_limit' });
    expect(judgeState({ ...base, state: 'ended' })).toEqual({ kind: 'fine' });
  });
});
