import { describe, expect, it } from 'vitest';
import { judgeState, type StateLivenessInput } from './state-liveness.js';

const base: StateLivenessInput = {
  state: 'working',
  since: 0,
  message: null,
  prompt: null,
  reason: null,
  until: null,
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
    expect(judgeState({ ...base, state: 'failed', message: 'rate_limit: try later' })).toEqual({ kind: 'waiting-on-api', reason: 'rate_limited' });
    expect(judgeState({ ...base, state: 'failed', message: 'x', reason: 'overloaded' })).toEqual({ kind: 'waiting-on-api', reason: 'overloaded' });
    expect(judgeState({ ...base, state: 'ended' })).toEqual({ kind: 'fine' });
  });
  it('a plan or a question is a decision at once (once); a permission prompt waits for permission_timeout', () => {
    for (const prompt of ['plan', 'question'] as const) {
      expect(judgeState({ ...base, state: 'needs_permission', prompt, since: 9_999 })).toEqual({ kind: 'decision' });
      expect(judgeState({ ...base, state: 'needs_permission', prompt, since: 9_999, permissionEscalated: true })).toEqual({ kind: 'fine' });
    }
    expect(judgeState({ ...base, state: 'needs_permission', prompt: 'permission', since: 9_999 })).toEqual({ kind: 'fine' });
  });
  it('a rate limit with a reset time waits until it, is resumed once it has passed, then once per idle_timeout', () => {
    const limited = { ...base, state: 'failed' as const, message: 'rate_limit: resets 3pm', reason: 'rate_limited' as const, until: 20_000, since: 1_000, baseline: 1_000 };
    expect(judgeState({ ...limited, now: 19_999 })).toEqual({ kind: 'rate-limited', until: 20_000 });
    // Never stuck meanwhile, however long past idle_timeout.
    expect(judgeState({ ...limited, now: 19_999, lastSignOfLife: 0 }).kind).toBe('rate-limited');
    expect(judgeState({ ...limited, now: 20_000 })).toEqual({ kind: 'resume', sinceResetMs: 0 });
    // Resumed at 20s (the step's baseline): the next step one idle_timeout later.
    expect(judgeState({ ...limited, now: 24_999, baseline: 20_000 })).toEqual({ kind: 'fine' });
    expect(judgeState({ ...limited, now: 25_000, baseline: 20_000 })).toEqual({ kind: 'resume', sinceResetMs: 5_000 });
    // A row recorded without a reason: read from its message.
    const read = judgeState({ ...base, state: 'failed', message: "rate_limit: You've hit your limit · resets 2026-01-01T00:00:30Z", now: Date.parse('2026-01-01T00:00:00Z') });
    expect(read).toEqual({ kind: 'rate-limited', until: Date.parse('2026-01-01T00:00:30Z') });
  });
});
