/**
 * The keys that answer an agent's prompt (pure), as the agent's runbook sets
 * them (Claude Code's defaults, runbook/model.ts):
 *
 *   permission  allow / deny                 permission_keys.allow ("1"), .deny ("3")
 *   plan        approve / reject             plan_keys.approve ("1": the first "Yes" of the
 *                                            plan dialog), .reject (Esc: "No, keep planning")
 *   question    its n-th choice              question_keys.down (arrow down) n-1 times, then
 *                                            .select (Enter): Claude Code's question dialog
 *                                            lists the choices in order, the first one highlighted
 *
 * Each key is typed on its own (Claude Code reads keys arriving together as a paste).
 */
import { isPromptKind, type JsonValue, type PromptAnswer } from '@oj/protocol';
import type { Agent } from '../runbook/index.js';

export type PromptKeys = Pick<Agent, 'permission_keys' | 'plan_keys' | 'question_keys'>;

export function keysFor(agent: PromptKeys, answer: PromptAnswer): string[] {
  switch (answer.prompt) {
    case 'permission':
      return answer.choice === 'allow' ? [agent.permission_keys.allow] : answer.choice === 'deny' ? [agent.permission_keys.deny] : [];
    case 'plan':
      return answer.choice === 'approve' ? [agent.plan_keys.approve] : answer.choice === 'reject' ? [agent.plan_keys.reject] : [];
    case 'question':
      return [...Array<string>(Math.max(0, answer.index)).fill(agent.question_keys.down), agent.question_keys.select];
  }
}

/** The `answer` of an escalation:resolved event, if it has one. */
export function answerFromData(v: JsonValue | undefined): PromptAnswer | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  if (!isPromptKind(v.prompt) || typeof v.choice !== 'string' || typeof v.index !== 'number') return null;
  return { prompt: v.prompt, choice: v.choice, index: v.index };
}
