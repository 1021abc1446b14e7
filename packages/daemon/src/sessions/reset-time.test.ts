import { describe, expect, it } from 'vitest';
import { classifyFailure, classifyFailureMessage } from './agent-failure.js';
import { resetTimeOf } from './reset-time.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const at = (iso: string) => Date.parse(iso);

describe('resetTimeOf', () => {
  it("reads Claude Code's time of day in the zone it names: the next such time", () => {
    // 12:00Z is 14:00 in Paris (summer time): 3pm is in an hour.
    expect(resetTimeOf("You've hit your session limit · resets 3pm (Europe/Paris)", NOW)).toBe(at('2026-06-01T13:00:00Z'));
    expect(resetTimeOf("You've hit your weekly limit · resets 3:30pm (America/New_York)", NOW)).toBe(at('2026-06-01T19:30:00Z'));
    // 1:20am Berlin has passed today: tomorrow's.
    expect(resetTimeOf("You've hit your session limit · resets 1:20am (Europe/Berlin)", NOW)).toBe(at('2026-06-01T23:20:00Z'));
    expect(resetTimeOf('resets 12am (UTC)', NOW)).toBe(at('2026-06-02T00:00:00Z'));
    expect(resetTimeOf('resets 12pm (UTC)', NOW - 1)).toBe(at('2026-06-01T12:00:00Z'));
  });

  it('reads a date (a year only when it is not this one); a date well behind us is next year', () => {
    expect(resetTimeOf("You've hit your weekly limit · resets Jun 5, 3pm (UTC)", NOW)).toBe(at('2026-06-05T15:00:00Z'));
    expect(resetTimeOf('resets Jan 5, 2027, 9am (UTC)', NOW)).toBe(at('2027-01-05T09:00:00Z'));
    expect(resetTimeOf('resets Jan 5, 3pm (UTC)', NOW)).toBe(at('2027-01-05T15:00:00Z'));
  });

  it('across a change to summer time, the offset that holds at the reset', () => {
    // New York springs forward at 2am on 2026-03-08: 3am that day is 07:00Z, not 08:00Z.
    expect(resetTimeOf('resets 3am (America/New_York)', at('2026-03-08T05:00:00Z'))).toBe(at('2026-03-08T07:00:00Z'));
  });

  it('older epoch seconds, a 24-hour time or an ISO time (as a report may say)', () => {
    expect(resetTimeOf('Claude AI usage limit reached|1767196800', NOW)).toBe(1767196800_000);
    expect(resetTimeOf('rate_limit: resets at 14:00 (UTC)', NOW)).toBe(at('2026-06-01T14:00:00Z'));
    expect(resetTimeOf('rate_limit: resets at 2026-06-01T14:05:00Z', NOW)).toBe(at('2026-06-01T14:05:00Z'));
  });

  it('no time named: null', () => {
    expect(resetTimeOf('API Error: Request rejected (429)', NOW)).toBeNull();
    expect(resetTimeOf('resets 3', NOW)).toBeNull();
    expect(resetTimeOf('resets 13pm (UTC)', NOW)).toBeNull();
    expect(resetTimeOf('resets 25:00', NOW)).toBeNull();
    expect(resetTimeOf('resets soon', NOW)).toBeNull();
  });

  it("a zone it does not know: the machine's own (a time, not an error)", () => {
    const t = resetTimeOf('resets 3pm (Mars/Olympus)', NOW);
    expect(t).not.toBeNull();
    expect(t! > NOW && t! <= NOW + 86_400_000).toBe(true);
  });
});

describe('classifyFailure', () => {
  it("Claude Code's rate_limit is rate_limited; a usage limit that resets is too, and waits until then", () => {
    expect(classifyFailure('rate_limit', "You've hit your session limit · resets 3pm (UTC)", NOW)).toEqual({ reason: 'rate_limited', until: at('2026-06-01T15:00:00Z') });
    expect(classifyFailure(undefined, "You've hit your weekly limit · resets 3pm (UTC)", NOW)).toEqual({ reason: 'rate_limited', until: at('2026-06-01T15:00:00Z') });
    expect(classifyFailure('rate_limit', 'Server is temporarily limiting requests', NOW)).toEqual({ reason: 'rate_limited', until: null });
  });
  it('a recorded message `code: text` (a StopFailure, or the recipe `oj session report failed --message "rate_limit: resets at 14:00"`)', () => {
    expect(classifyFailureMessage('rate_limit: resets at 14:00 (UTC)', NOW)).toEqual({ reason: 'rate_limited', until: at('2026-06-01T14:00:00Z') });
    expect(classifyFailureMessage('authentication_failed: Not logged in', NOW)).toEqual({ reason: 'unauthorized', until: null });
    expect(classifyFailureMessage('the build server is down', NOW)).toEqual({ reason: 'other', until: null });
  });
  it('other failures keep their reason, with no reset time', () => {
    expect(classifyFailure('authentication_failed', 'Not logged in · Please run /login', NOW)).toEqual({ reason: 'unauthorized', until: null });
    expect(classifyFailure('billing_error', 'Credit balance is too low', NOW)).toEqual({ reason: 'quota', until: null });
    expect(classifyFailure('overloaded', 'API Error: 529', NOW)).toEqual({ reason: 'overloaded', until: null });
    expect(classifyFailure('server_error', 'API Error: 500 resets 3pm', NOW)).toEqual({ reason: 'other', until: null });
  });
});
