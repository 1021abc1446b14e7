import type { AgentPrompt, EscalationOption } from '@oj/protocol';
import { describe, expect, it } from 'vitest';
import { answerOf, pickOption, promptOfRow, promptOptions, supersedes } from './prompt-options.js';

const plan: AgentPrompt = { kind: 'plan', text: '1. add a test\n2. fix it', choices: [] };
const question: AgentPrompt = { kind: 'question', text: 'Which db? [sqlite | postgres | cancel]', choices: ['sqlite', 'postgres', 'cancel'] };
const permission: AgentPrompt = { kind: 'permission', text: 'Claude needs your permission to use Bash', choices: [] };
const numbered = (list: Omit<EscalationOption, 'number'>[]): EscalationOption[] => list.map((o, i) => ({ number: i + 1, ...o }));
const own = ['retry', 'done', 'goto', 'cancel', 'message', 'dismiss'].map((choice) => ({ choice, label: choice }));

describe('prompt options', () => {
  it('a permission offers allow and deny, a plan approve and reject, a question its choices in order', () => {
    expect(promptOptions('permission', permission).map((o) => o.choice)).toEqual(['allow', 'deny']);
    expect(promptOptions('plan', plan).map((o) => o.choice)).toEqual(['approve', 'reject']);
    expect(promptOptions('question', question).map((o) => o.choice)).toEqual(['sqlite', 'postgres', 'cancel']);
    expect(promptOptions('question', { ...question, choices: [] })).toEqual([]);
    expect(promptOptions('agent', null)).toEqual([]);
  });

  it('a row keeps its prompt; a permission row from before prompts were kept is still one', () => {
    expect(promptOfRow({ source: 'plan', prompt: JSON.stringify(plan) })).toEqual(plan);
    expect(promptOfRow({ source: 'permission', prompt: null })).toEqual({ kind: 'permission', text: '', choices: [] });
    expect(promptOfRow({ source: 'agent', prompt: null })).toBeNull();
    expect(promptOfRow({ source: 'question', prompt: '{not json' })).toBeNull();
  });

  it('a choice names an option by number or name (exactly, else ignoring case); a name two options share is ambiguous', () => {
    const options = numbered([...promptOptions('question', question), ...own]);
    expect(pickOption(options, 2).map((o) => o.choice)).toEqual(['postgres']);
    expect(pickOption(options, '2').map((o) => o.choice)).toEqual(['postgres']);
    expect(pickOption(options, 'Postgres').map((o) => o.choice)).toEqual(['postgres']);
    expect(pickOption(options, 'cancel').map((o) => o.number)).toEqual([3, 7]);
    expect(pickOption(options, 'mysql')).toEqual([]);
    expect(pickOption(options, 99)).toEqual([]);
  });

  it("an answer is a prompt's option, never one of oj's own (even when they share a name)", () => {
    const options = numbered([...promptOptions('question', question), ...own]);
    expect(answerOf('question', question, options[1]!)).toEqual({ prompt: 'question', choice: 'postgres', index: 1 });
    expect(answerOf('question', question, options[2]!)).toEqual({ prompt: 'question', choice: 'cancel', index: 2 });
    expect(answerOf('question', question, options[6]!)).toBeNull();
    // A row with no live session offers no answers: its first option is oj's own.
    expect(answerOf('plan', plan, numbered(own)[0]!)).toBeNull();
  });

  it('a stronger prompt supersedes the open escalation of its session; a weaker one never does', () => {
    expect(supersedes(plan, permission)).toBe(true);
    expect(supersedes(question, null)).toBe(true);
    expect(supersedes(permission, null)).toBe(true);
    expect(supersedes(permission, plan)).toBe(false);
    expect(supersedes(null, question)).toBe(false);
    expect(supersedes(null, null)).toBe(false);
    // A new prompt of the same strength: the open one was answered at the terminal.
    expect(supersedes(question, plan)).toBe(true);
    expect(supersedes(plan, plan)).toBe(false);
  });
});
