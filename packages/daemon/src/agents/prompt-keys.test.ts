import { describe, expect, it } from 'vitest';
import { answerFromData, keysFor } from './prompt-keys.js';

describe('prompt keys', () => {
  const agent = { permission_keys: { allow: '1', deny: '3' }, plan_keys: { approve: '1', reject: '\u001b' }, question_keys: { down: '\u001b[B', select: '\r' } };
  it("types the agent's keys for each answer, one key at a time", () => {
    expect(keysFor(agent, { prompt: 'permission', choice: 'allow', index: 0 })).toEqual(['1']);
    expect(keysFor(agent, { prompt: 'permission', choice: 'deny', index: 1 })).toEqual(['3']);
    expect(keysFor(agent, { prompt: 'plan', choice: 'approve', index: 0 })).toEqual(['1']);
    expect(keysFor(agent, { prompt: 'plan', choice: 'reject', index: 1 })).toEqual(['\u001b']);
    expect(keysFor(agent, { prompt: 'question', choice: 'sqlite', index: 0 })).toEqual(['\r']);
    expect(keysFor(agent, { prompt: 'question', choice: 'cancel', index: 2 })).toEqual(['\u001b[B', '\u001b[B', '\r']);
  });
  it('reads the answer of an escalation:resolved event (none for oj\'s own choices)', () => {
    expect(answerFromData({ prompt: 'question', choice: 'mysql', index: 2 })).toEqual({ prompt: 'question', choice: 'mysql', index: 2 });
    expect(answerFromData(undefined)).toBeNull();
    expect(answerFromData({ prompt: 'nope', choice: 'x', index: 0 })).toBeNull();
  });
});
