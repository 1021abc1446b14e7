/** Builders shared by the unit tests of the grant machine (imported by tests only). */
import { stepGrant } from './machine.js';
import { EMPTY, type GrantEvent, type GrantSettings, type GrantState, type GrantTransition, type HolderKind, type ReplyOf, type ResponseStep } from './types.js';

export const builtin = (action: string): ResponseStep => ({ text: action, action, id: null, builtin: true });
export const runbookAction = (action: string): ResponseStep => ({ text: action, action, id: `f.action.${action}`, builtin: false });

export function settings(kind: 'lock' | 'semaphore', over: Partial<GrantSettings> = {}): GrantSettings {
  return {
    kind,
    name: kind === 'lock' ? 'main' : 'agents',
    max: kind === 'lock' ? 1 : 3,
    heartbeatMs: 1000,
    timeoutMs: null,
    onStale: [],
    onOrphanWork: [],
    ...over,
  };
}

export const ask = (holder: string, weight = 1, o: { queue?: boolean; kind?: HolderKind; phase?: string; run?: number } = {}): Extract<GrantEvent, { type: 'request' }> => ({
  type: 'request',
  holder,
  holderKind: o.kind ?? 'external',
  weight,
  phase: o.phase ?? null,
  run: o.run ?? null,
  queue: o.queue ?? true,
});

/** A resource stepped through events, keeping the last transition. */
export class Resource {
  state: GrantState = EMPTY;
  last: GrantTransition<unknown> | null = null;
  constructor(
    public s: GrantSettings,
    public now = 1_000_000,
  ) {}

  step<E extends GrantEvent>(e: E): ReplyOf<E> {
    const t = stepGrant(this.state, this.s, e, this.now);
    this.state = t.state;
    this.last = t;
    return t.reply;
  }

  get holders(): string[] {
    return this.state.holds.map((h) => h.holder);
  }
  get line(): string[] {
    return this.state.waiters.map((w) => w.holder);
  }
  /** `name subject` of the last transition's events. */
  get events(): string[] {
    return (this.last?.events ?? []).map((e) => `${e.name} ${e.subject}`);
  }
  get effects(): unknown[] {
    return this.last?.effects ?? [];
  }
}
