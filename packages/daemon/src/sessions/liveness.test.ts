import { describe, expect, it } from 'vitest';
import type { ClaudeLogStatus } from './claude-log.js';
import { assessLiveness, isStuck } from './liveness.js';

const startedAt = 1_000_000;
const claude = (status: Partial<ClaudeLogStatus> & Pick<ClaudeLogStatus, 'state'>): ClaudeLogStatus => ({
  entries: 1,
  skipped: 0,
  ...status,
});

describe('assessLiveness', () => {
  it('heartbeat = output: idle since the last output, or since start without any', () => {
    expect(assessLiveness({ heartbeat: 'output', now: startedAt + 5000, startedAt })).toEqual({
      lastHeartbeatAt: startedAt,
      idleMs: 5000,
      activity: 'active',
    });
    const live = assessLiveness({ heartbeat: 'output', now: startedAt + 200_000, startedAt, lastOutputAt: startedAt + 20_000 });
    expect(live.idleMs).toBe(180_000);
    expect(isStuck(live, 180_000)).toBe(true);
    expect(isStuck(live, 180_001)).toBe(false);
  });

  it('heartbeat = claude while working: the later of log entries and output', () => {
    const live = assessLiveness({
      heartbeat: 'claude',
      now: startedAt + 100_000,
      startedAt,
      lastOutputAt: startedAt + 90_000,
      claude: claude({ state: 'working', since: startedAt + 10_000, lastEntryAt: startedAt + 10_000 }),
    });
    expect(live).toEqual({ lastHeartbeatAt: startedAt + 90_000, idleMs: 10_000, activity: 'active' });
  });

  it('heartbeat = claude while waiting: screen redraws do not count', () => {
    const live = assessLiveness({
      heartbeat: 'claude',
      now: startedAt + 300_000,
      startedAt,
      lastOutputAt: startedAt + 299_000,
      claude: claude({ state: 'waiting_for_input', since: startedAt + 60_000, lastEntryAt: startedAt + 60_000 }),
    });
    expect(live).toEqual({ lastHeartbeatAt: startedAt + 60_000, idleMs: 240_000, activity: 'waiting_for_input' });
  });

  it('heartbeat = claude with an API error: reports it', () => {
    const error = { reason: 'unauthorized' as const, message: 'API Error: 401', code: 'authentication_failed' };
    const live = assessLiveness({
      heartbeat: 'claude',
      now: startedAt + 30_000,
      startedAt,
      lastOutputAt: startedAt + 29_000,
      claude: claude({ state: 'api_error', since: startedAt + 20_000, error }),
    });
    expect(live).toEqual({ lastHeartbeatAt: startedAt + 20_000, idleMs: 10_000, activity: 'api_error', apiError: error });
  });

  it('heartbeat = claude without a log yet: falls back to output', () => {
    const live = assessLiveness({ heartbeat: 'claude', now: startedAt + 7000, startedAt, lastOutputAt: startedAt + 2000 });
    expect(live).toEqual({ lastHeartbeatAt: startedAt + 2000, idleMs: 5000, activity: 'active' });
    expect(
      assessLiveness({ heartbeat: 'claude', now: startedAt + 7000, startedAt, claude: claude({ state: 'unknown', entries: 0 }) }).idleMs,
    ).toBe(7000);
  });

  it('never reports negative idle time or a heartbeat before the start', () => {
    const live = assessLiveness({
      heartbeat: 'claude',
      now: startedAt - 10,
      startedAt,
      claude: claude({ state: 'waiting_for_input', since: startedAt - 99_000 }),
    });
    expect(live).toMatchObject({ lastHeartbeatAt: startedAt, idleMs: 0 });
  });
});
