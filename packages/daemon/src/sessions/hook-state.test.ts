import { describe, expect, it } from 'vitest';
import { stateFromHook, type CurrentState } from './hook-state.js';

const none: CurrentState = { state: null, since: null, message: null };
const NOW = Date.parse('2026-06-01T12:00:00Z');
const next = (payload: Record<string, unknown>, current: CurrentState = none) => stateFromHook(current, payload, NOW).next;

describe('stateFromHook', () => {
  it('maps Claude Code hook events to states', () => {
    expect(stateFromHook(none, { hook_event_name: 'SessionStart', source: 'startup', transcript_path: '/t.jsonl' }, NOW)).toEqual({
      next: { state: 'starting', message: null },
      transcriptPath: '/t.jsonl',
    });
    expect(next({ hook_event_name: 'SessionStart', source: 'compact' })).toBeNull();
    expect(next({ hook_event_name: 'UserPromptSubmit', prompt: 'hi' })?.state).toBe('working');
    expect(next({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: {} })?.state).toBe('working');
    expect(next({ hook_event_name: 'PostToolUse', tool_name: 'Bash' })?.state).toBe('working');
    expect(next({ hook_event_name: 'Notification', notification_type: 'permission_prompt', message: 'Claude needs your permission to use Bash' })).toEqual({
      state: 'needs_permission',
      message: 'Claude needs your permission to use Bash',
      prompt: { kind: 'permission', text: 'Claude needs your permission to use Bash', choices: [] },
    });
    expect(next({ hook_event_name: 'Notification', notification_type: 'idle_prompt', message: 'Claude is waiting for your input' })?.state).toBe('idle');
    expect(next({ hook_event_name: 'Notification', message: 'Claude needs your permission to use Write' })?.state).toBe('needs_permission');
    expect(next({ hook_event_name: 'Notification', notification_type: 'auth_success', message: 'ok' })).toBeNull();
    expect(next({ hook_event_name: 'Stop', stop_hook_active: false })?.state).toBe('idle');
    expect(next({ hook_event_name: 'SessionEnd', reason: 'other' })).toEqual({ state: 'ended', message: 'other' });
    expect(next({ hook_event_name: 'SomethingNew' })).toBeNull();
    expect(next({})).toBeNull();
  });

  it('StopFailure is failed with its error as the reason', () => {
    const o = stateFromHook(none, { hook_event_name: 'StopFailure', error: 'authentication_failed', last_assistant_message: 'Not logged in · Please run /login' }, NOW);
    expect(o.next).toEqual({ state: 'failed', message: 'authentication_failed: Not logged in · Please run /login', reason: 'unauthorized', until: null });
    expect(o.failure).toBe('authentication_failed');
    // Claude Code runs StopFailure and SessionEnd together: after a failure, SessionEnd keeps it; /clear is no end.
    expect(next({ hook_event_name: 'SessionEnd', reason: 'other' }, { state: 'failed', since: 1, message: 'x' })).toBeNull();
    expect(next({ hook_event_name: 'SessionEnd', reason: 'clear' }, { state: 'working', since: 1, message: null })).toBeNull();
  });

  it('a hook that lands after the process ended changes no state (a late StopFailure once left the session failed, never ended)', () => {
    const ended: CurrentState = { state: 'ended', since: 1, message: 'exited 1' };
    for (const hook_event_name of ['StopFailure', 'SessionEnd', 'Stop', 'UserPromptSubmit', 'Notification', 'SessionStart']) {
      expect(next({ hook_event_name, error: 'authentication_failed', message: 'x', reason: 'other' }, ended)).toBeNull();
    }
    expect(stateFromHook(ended, { hook_event_name: 'StopFailure', transcript_path: '/t.jsonl' }, NOW).transcriptPath).toBe('/t.jsonl');
  });

  it('a late StopFailure is still kept as the failure it reports; other late hooks report nothing', () => {
    const ended: CurrentState = { state: 'ended', since: 1, message: 'other' };
    const late = stateFromHook(ended, { hook_event_name: 'StopFailure', error: 'authentication_failed', last_assistant_message: 'Not logged in' }, NOW);
    expect(late.lateFailure).toEqual({ failure: 'authentication_failed', message: 'authentication_failed: Not logged in' });
    expect(stateFromHook(ended, { hook_event_name: 'Stop' }, NOW).lateFailure).toBeUndefined();
    // Before the end it is a state, as ever.
    expect(stateFromHook({ state: 'working', since: 1, message: null }, { hook_event_name: 'StopFailure', error: 'rate_limit' }, NOW).lateFailure).toBeUndefined();
  });

  it('a plan or a question is a prompt with its text; a generic permission never supersedes it', () => {
    const plan = next({ hook_event_name: 'PreToolUse', tool_name: 'ExitPlanMode', tool_input: { plan: '1. fix it' } })!;
    expect(plan).toEqual({ state: 'needs_permission', message: 'plan: 1. fix it', prompt: { kind: 'plan', text: '1. fix it', choices: [] } });
    const question = next({
      hook_event_name: 'PreToolUse',
      tool_name: 'AskUserQuestion',
      tool_input: { questions: [{ question: 'Which db?', header: 'DB', options: [{ label: 'sqlite', description: 'a file' }, { label: 'postgres' }], multiSelect: false }] },
    })!;
    expect(question.message).toBe('question: Which db? [sqlite | postgres]');
    expect(question.prompt).toEqual({ kind: 'question', text: 'Which db? [sqlite | postgres]', choices: ['sqlite', 'postgres'] });
    const open: CurrentState = { state: 'needs_permission', since: 1, message: plan.message };
    expect(next({ hook_event_name: 'Notification', notification_type: 'permission_prompt', message: 'needs permission' }, open)).toBeNull();
    const generic: CurrentState = { state: 'needs_permission', since: 1, message: 'Claude needs your permission to use Bash' };
    expect(next({ hook_event_name: 'Notification', notification_type: 'permission_prompt', message: 'again' }, generic)?.message).toBe('again');
  });

  it('a question oj cannot answer with one choice (several questions, several answers) keeps its text and offers no choices', () => {
    const q = (questions: unknown[]) => next({ hook_event_name: 'PreToolUse', tool_name: 'AskUserQuestion', tool_input: { questions } })!.prompt;
    const colour = { question: 'Colour?', options: [{ label: 'red' }, { label: 'blue' }] };
    const sizes = { question: 'Sizes?', options: [{ label: 'S' }, { label: 'M' }], multiSelect: true };
    expect(q([colour, { question: 'Fruit?', options: [{ label: 'apple' }] }])).toEqual({ kind: 'question', text: 'Colour? [red | blue] Fruit? [apple]', choices: [] });
    expect(q([sizes])).toEqual({ kind: 'question', text: 'Sizes? [S | M]', choices: [] });
  });

  it('a rate limit that names its reset time waits until then (rate_limited); without one it is rate_limited all the same', () => {
    const failed = (error: string, said: string) => next({ hook_event_name: 'StopFailure', error, last_assistant_message: said })!;
    const limited = failed('rate_limit', "You've hit your session limit · resets 3pm (UTC)");
    expect(limited).toMatchObject({ state: 'failed', reason: 'rate_limited', until: Date.parse('2026-06-01T15:00:00Z') });
    expect(limited.message).toBe("rate_limit: You've hit your session limit · resets 3pm (UTC)");
    expect(failed('rate_limit', 'API Error: Request rejected (429)')).toMatchObject({ reason: 'rate_limited', until: null });
    expect(failed('overloaded', 'API Error: 529')).toMatchObject({ reason: 'overloaded', until: null });
    expect(failed('billing_error', 'Credit balance is too low')).toMatchObject({ reason: 'quota', until: null });
  });
});
