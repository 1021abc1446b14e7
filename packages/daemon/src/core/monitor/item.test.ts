import { describe, expect, it } from 'vitest';
import type { StepSpec } from './chain.js';
import { PROTECTED, blankItemState, step } from './item.js';
import type { Act, MonitorItemEvent, MonitorItemState, MonitorItemTransition, MonitorSettings } from './types.js';

const chainSteps: StepSpec[] = [
  { action: 'nudge', allowance: 1, cooldownMs: 1000 },
  { action: 'restart', allowance: 2, cooldownMs: 0 },
  { action: 'escalate', allowance: 1, cooldownMs: 0 },
];
const chain: MonitorSettings = { name: 'stuck', steps: chainSteps, dryRun: 'off' };
const direct: MonitorSettings = { name: 'old-logs', steps: null, dryRun: 'off' };

const match = (over: Partial<Extract<MonitorItemEvent, { type: 'match' }>> = {}): MonitorItemEvent => ({
  type: 'match',
  data: '{"id":"a"}',
  protectedBy: null,
  paths: [],
  directPreview: 'run: rm a',
  ...over,
});

function actOf(t: MonitorItemTransition): Act {
  for (const e of t.effects) if (e.type === 'act') return e.act;
  throw new Error('expected an act effect');
}

/** An item that has taken the chain's first step (nudge) at `at`. */
function nudgedAt(at: number): MonitorItemState {
  const m = step(blankItemState('a', at), chain, match(), at);
  return step(m.state!, chain, { type: 'acted', act: actOf(m), outcome: { kind: 'done', detail: 'nudged' } }, at).state!;
}

describe('monitor item: a match', () => {
  it('a new matching item asks for the first step of the chain, recording when it was seen and what it was', () => {
    const s = blankItemState('a', 100);
    const t = step(s, chain, match(), 100);
    expect(t.state).toMatchObject({ key: 'a', seenAt: 100, lastMatchAt: 100, matchedAt: 100, data: '{"id":"a"}', actions: 0 });
    expect(t.events).toEqual([]);
    expect(t.effects).toEqual([{ type: 'act', act: { action: 'nudge', step: 0, attempt: 1, of: 1, reason: 'stuck: a matches' } }]);
  });

  it('a done step moves the chain on, counts the action, says so in an action:<name> event, the log and the hooks', () => {
    const m = step(blankItemState('a', 0), chain, match(), 0);
    const t = step(m.state!, chain, { type: 'acted', act: actOf(m), outcome: { kind: 'done', detail: 'nudged session s1' } }, 5);
    expect(t.state).toMatchObject({ actions: 1, lastAction: 'nudge', lastActionAt: 5, progress: { step: 0, used: 1, settleUntil: 1005, exhausted: false } });
    expect(t.events).toEqual([{ name: 'action:nudge', data: { step: 1, attempt: 1, of: 1, reason: 'stuck: a matches', ok: 1, detail: 'nudged session s1' } }]);
    expect(t.effects).toEqual([
      { type: 'log', line: '[monitor stuck] nudge a: nudged session s1' },
      { type: 'hook', action: 'nudge', values: { reason: 'stuck: a matches', attempt: 1, outcome: 'done' } },
    ]);
  });

  it('a failed step counts as taken: the chain moves on; the failure is logged as a warning and handed to the hooks', () => {
    const m = step(blankItemState('a', 0), chain, match(), 0);
    const t = step(m.state!, chain, { type: 'acted', act: actOf(m), outcome: { kind: 'failed', error: 'no such session' } }, 5);
    expect(t.state).toMatchObject({ actions: 1, lastAction: 'nudge', progress: { used: 1, settleUntil: 1005 } });
    expect(t.events[0]).toEqual({ name: 'action:nudge', data: { step: 1, attempt: 1, of: 1, reason: 'stuck: a matches', ok: 0, error: 'no such session' } });
    expect(t.effects).toEqual([
      {
        type: 'log',
        line: '[monitor stuck] nudge a: failed: no such session',
        warn: { message: 'monitor action failed', detail: { monitor: 'stuck', item: 'a', action: 'nudge', error: 'no such session' } },
      },
      { type: 'hook', action: 'nudge', values: { reason: 'stuck: a matches', attempt: 1, error: 'no such session', outcome: 'failed' } },
    ]);
  });

  it('inside the cooldown a match takes no step and keeps the chain where it is', () => {
    const s = nudgedAt(0);
    const t = step(s, chain, match(), 500);
    expect(t.effects).toEqual([]);
    expect(t.events).toEqual([]);
    expect(t.state).toMatchObject({ progress: s.progress, seenAt: 500, lastMatchAt: 500 });
  });

  it('after the cooldown the next step runs, its reason counting the actions so far', () => {
    const t = step(nudgedAt(0), chain, match(), 1000);
    expect(actOf(t)).toEqual({ action: 'restart', step: 1, attempt: 1, of: 2, reason: 'stuck: a still matches after 1 action (last: nudge)' });
  });

  it('a step with nothing to act on hands over to the next one in the same tick, with no event and no count', () => {
    const m = step(blankItemState('a', 0), chain, match(), 0);
    const t = step(m.state!, chain, { type: 'acted', act: actOf(m), outcome: { kind: 'skip', why: 'the item has no agent session' } }, 0);
    expect(t.events).toEqual([]);
    expect(t.state).toMatchObject({ actions: 0, lastAction: null, progress: { step: 1, used: 0, settleUntil: null, exhausted: false } });
    expect(actOf(t)).toMatchObject({ action: 'restart', step: 1, attempt: 1, of: 2, reason: 'stuck: a matches' });
  });

  it('the last step skipped exhausts the chain: nothing more to run', () => {
    const one: MonitorSettings = { name: 'm', steps: [{ action: 'nudge', allowance: 1, cooldownMs: 0 }], dryRun: 'off' };
    const m = step(blankItemState('a', 0), one, match(), 0);
    const t = step(m.state!, one, { type: 'acted', act: actOf(m), outcome: { kind: 'skip', why: 'no session' } }, 0);
    expect(t.effects).toEqual([]);
    expect(t.state?.progress).toEqual({ step: 1, used: 0, settleUntil: null, exhausted: true });
  });

  it('an exhausted chain is marked so, and a match then does nothing at all', () => {
    const one: MonitorSettings = { name: 'm', steps: [{ action: 'escalate', allowance: 1, cooldownMs: 0 }], dryRun: 'off' };
    const m = step(blankItemState('a', 0), one, match(), 0);
    const done = step(m.state!, one, { type: 'acted', act: actOf(m), outcome: { kind: 'done', detail: 'escalated' } }, 0).state!;
    expect(done.progress.exhausted).toBe(true);
    const again = step(done, one, match(), 10);
    expect(again.effects).toEqual([]);
    expect(again.events).toEqual([]);
  });

  it('a direct action runs on every matching tick as `clean`, without chain fields', () => {
    const m = step(blankItemState('x', 0), direct, match(), 0);
    expect(actOf(m)).toEqual({ action: 'clean', step: null, attempt: 1, of: 1, reason: 'old-logs: x matches' });
    const t = step(m.state!, direct, { type: 'acted', act: actOf(m), outcome: { kind: 'done', detail: 'ran: rm x' } }, 1);
    expect(t.state).toMatchObject({ actions: 1, lastAction: 'clean', lastActionAt: 1, progress: { step: 0, used: 0, settleUntil: null } });
    expect(t.events).toEqual([{ name: 'action:clean', data: { ok: 1, detail: 'ran: rm x' } }]);
    expect(t.effects[1]).toEqual({ type: 'hook', action: 'clean', values: { reason: 'old-logs: x matches', outcome: 'done' } });
    expect(actOf(step(t.state!, direct, match(), 2)).action).toBe('clean');
  });
});

describe('monitor item: [safety]', () => {
  it('a protected item is left alone and said so once; the chain is marked exhausted', () => {
    const t = step(blankItemState('a', 0), chain, match({ protectedBy: '/srv/keep', paths: ['/srv/keep/a', 'a'] }), 0);
    expect(t.state).toMatchObject({ lastAction: PROTECTED, progress: { exhausted: true } });
    expect(t.events).toEqual([{ name: 'monitor:protected', data: { protected: '/srv/keep', paths: '/srv/keep/a a' } }]);
    expect(t.effects).toEqual([
      {
        type: 'log',
        line: '[monitor stuck] a: protected by [safety] (/srv/keep); left alone',
        warn: { message: 'monitor left a protected path alone', detail: { monitor: 'stuck', item: 'a', protected: '/srv/keep' } },
      },
    ]);
    const again = step(t.state!, chain, match({ protectedBy: '/srv/keep' }), 10);
    expect(again.events).toEqual([]);
    expect(again.effects).toEqual([]);
    expect(again.state).toMatchObject({ seenAt: 10, lastAction: PROTECTED });
  });

  it('an item no longer protected starts over like a new match', () => {
    const p = step(blankItemState('a', 0), chain, match({ protectedBy: '/srv' }), 0).state!;
    const t = step(p, chain, match(), 50);
    expect(t.state).toMatchObject({ lastAction: null, matchedAt: 50, previewedAt: null, progress: { step: 0, used: 0, settleUntil: null, exhausted: false } });
    expect(actOf(t).action).toBe('nudge');
  });

  it('dry_run = "first": the first match is rehearsed (event, log, hook), the next one acts', () => {
    const first: MonitorSettings = { ...chain, dryRun: 'first' };
    const t = step(blankItemState('a', 0), first, match(), 0);
    expect(t.state?.previewedAt).toBe(0);
    expect(t.events).toEqual([{ name: 'monitor:dry-run', data: { would: 'nudge', next: 'acts on the next tick if it still matches' } }]);
    expect(t.effects).toEqual([
      { type: 'log', line: '[monitor stuck] dry run: a: would nudge' },
      { type: 'hook', action: 'dry_run', values: { would: 'nudge', reason: 'dry run: a' } },
    ]);
    expect(actOf(step(t.state!, first, match(), 1)).action).toBe('nudge');
  });

  it('a rehearsal names the attempt of a repeated step, or says the chain is exhausted; a direct action says its command', () => {
    const rehearse = (s: MonitorItemState, settings: MonitorSettings) => step(s, { ...settings, dryRun: 'always' }, match(), 0).events[0]?.data.would;
    expect(rehearse({ ...blankItemState('a', 0), progress: { step: 1, used: 0, settleUntil: null, exhausted: false } }, chain)).toBe('restart (1/2)');
    expect(rehearse({ ...blankItemState('a', 0), progress: { step: 3, used: 0, settleUntil: null, exhausted: true } }, chain)).toBe('nothing (chain exhausted)');
    expect(rehearse(blankItemState('a', 0), direct)).toBe('run: rm a');
  });

  it('dry_run = "always": rehearsed once, never acted on', () => {
    const always: MonitorSettings = { ...chain, dryRun: 'always' };
    const t = step(blankItemState('a', 0), always, match(), 0);
    expect(t.events[0]).toEqual({ name: 'monitor:dry-run', data: { would: 'nudge' } });
    const again = step(t.state!, always, match(), 5000);
    expect(again.events).toEqual([]);
    expect(again.effects).toEqual([]);
    expect(again.state).toMatchObject({ seenAt: 5000, previewedAt: 0 });
  });
});

describe('monitor item: clear', () => {
  it('while its last action settles a clear item keeps its place (a listed one is marked seen, an unlisted one is untouched)', () => {
    const s = nudgedAt(0);
    const listed = step(s, chain, { type: 'clear', listed: true }, 500);
    expect(listed.state).toEqual({ ...s, seenAt: 500 });
    expect(listed.events).toEqual([]);
    const unlisted = step(s, chain, { type: 'clear', listed: false }, 500);
    expect(unlisted.state).toBe(s);
    expect(unlisted.effects).toEqual([]);
  });

  it('once settled, an item acted on is forgotten with monitor:recovered', () => {
    const t = step(nudgedAt(0), chain, { type: 'clear', listed: false }, 1000);
    expect(t.state).toBeNull();
    expect(t.events).toEqual([{ name: 'monitor:recovered', data: { actions: 1, last: 'nudge', listed: 0 } }]);
    expect(t.effects).toEqual([]);
  });

  it('an item never acted on (only rehearsed) is forgotten quietly', () => {
    const s = step(blankItemState('a', 0), { ...chain, dryRun: 'first' }, match(), 0).state!;
    const t = step(s, chain, { type: 'clear', listed: true }, 1);
    expect(t).toEqual({ state: null, events: [], effects: [] });
  });

  it('an item whose last action was escalate has its held pipeline released', () => {
    const s: MonitorItemState = { ...blankItemState('a', 0), actions: 3, lastAction: 'escalate', lastActionAt: 0 };
    const t = step(s, chain, { type: 'clear', listed: true }, 10);
    expect(t.state).toBeNull();
    expect(t.events).toEqual([{ name: 'monitor:recovered', data: { actions: 3, last: 'escalate', listed: 1 } }]);
    expect(t.effects).toEqual([{ type: 'releaseEscalation' }]);
  });

  it('a direct action never cools down: its item is forgotten on the first clear tick', () => {
    const m = step(blankItemState('x', 0), direct, match(), 0);
    const s = step(m.state!, direct, { type: 'acted', act: actOf(m), outcome: { kind: 'done', detail: 'ran' } }, 0).state!;
    expect(step(s, direct, { type: 'clear', listed: false }, 0).state).toBeNull();
  });
});
