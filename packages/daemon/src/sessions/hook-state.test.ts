import { describe, expect, it } from 'vitest';
import { stateFromHook, type CurrentState } from './hook-state.js';

const none: CurrentState = { state: null, since: null, message: null };
const next = (payload: Record<string, unknown>, current: CurrentState = none) => stateFromHook(current, payload).next;

describe('stateFromHook', () => {
  it('maps Claude Code hook events to states', () => {
    expect(stateFromHook(none, { hook_event_name: 'SessionStart', source: 'startup', transcript_path: '/t.jsonl' })).toEqual({
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
      prompt: 'permission',
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
    const o = stateFromHook(none, { hook_event_name: 'StopFailure', error: 'authentication_failed', last_assistant_message: 'Not logged in · Please run /login' });
    expect(o.next).toEqual({ state: 'failed', message: 'authentication_failed: Not logged in · Please run /login' });
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
    expect(stateFromHook(ended, { hook_event_name: 'StopFailure', transcript_path: '/t.jsonl' }).transcriptPath).toBe('/t.jsonl');
  });

  it('a late StopFailure is still kept as the failure it reports; other late hooks report nothing', () => {
    const ended: CurrentState = { state: 'ended', since: 1, message: 'other' };
    const late = stateFromHook(ended, { hook_event_name: 'StopFailure', error: 'authentication_failed', last_assistant_message: 'Not logged in' });
    expect(late.lateFailure).toEqual({ failure: 'authentication_failed', message: 'authentication_failed: Not logged in' });
    expect(stateFromHook(ended, { hook_event_name: 'Stop' }).lateFailure).toBeUndefined();
    // Before the end it is a state, as ever.
    expect(stateFromHook({ state: 'working', since: 1, message: null }, { hook_event_name: 'StopFailure', error: 'rate_limit' }).lateFailure).toBeUndefined();
  });

  it('a plan or a question is a prompt with its text; a generic permission never supersedes it', () => {
    const plan = next({ hook_event_name: 'PreToolUse', tool_name: 'ExitPlanMode', tool_input: { plan: '1. fix it' } })!;
    expect(plan).toEqual({ state: 'needs_permission', message: 'plan: 1. fix it', prompt: 'plan' });
    const question = next({
      hook_event_name: 'PreToolUse',
      tool_name: 'AskUserQuestion',
      tool_input: { questions: [{ question: 'Which db?', options: [{ label: 'sqlite' }, { label: 'postgres' }] }] },
    })!;
    expect(question.message).toBe('question: Which db? [sqlite | postgres]');
    const open: CurrentState = { state: 'needs_permission', since: 1, message: plan.message };
    expect(next({ hook_event_name: 'Notification', notification_type: 'permission_prompt', message: 'needs permission' }, open)).toBeNull();
    const generic: CurrentState = { state: 'needs_permission', since: 1, message: 'Claude needs your permission to use Bash' };
    expect(next({ hook_event_name: 'Notification', notification_type: 'permission_prompt', message: 'again' }, generic)?.message).toBe('again');
  });
});
