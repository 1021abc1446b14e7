/**
 * The monitored-item machine (pure): (state, settings, event, now) -> state,
 * events, effects. Per item and tick it decides:
 *
 * - a match of an item under a `[safety]` protected path: left alone, said once;
 * - a match to rehearse (`dry_run`): what would be done, said once (`first`:
 *   acted on from the next matching tick; `always`: never acted on);
 * - any other match: the direct action, or the next step of the response
 *   chain (one step per tick, none while the last one's cooldown runs; a step
 *   that does not apply to the item hands over to the next at once);
 * - a clear item (no longer matching or listed) once its last action has
 *   settled: forgotten, its chain starts over (`monitor:recovered`), and a
 *   pipeline its `escalate` held for a human goes back to running.
 *
 * Running actions, scripts and hooks is the shell's, asked for as effects.
 */
import { FRESH, monitorChain, type ActDecision, type ChainStepper } from './chain.js';
import {
  DIRECT_ACTION,
  type Act,
  type ActOutcome,
  type MonitorEmit,
  type MonitorItemEffect,
  type MonitorItemEvent,
  type MonitorItemState,
  type MonitorItemTransition,
  type MonitorSettings,
} from './types.js';

/** The mark a protected item's `lastAction` carries. */
export const PROTECTED = 'protected';

/** Accumulates one transition. */
class Step {
  private readonly events: MonitorEmit[] = [];
  private readonly effects: MonitorItemEffect[] = [];

  constructor(public state: MonitorItemState | null) {}

  get item(): MonitorItemState {
    if (!this.state) throw new Error('the monitored item is gone');
    return this.state;
  }

  set(patch: Partial<MonitorItemState>): this {
    this.state = { ...this.item, ...patch };
    return this;
  }

  forget(): this {
    this.state = null;
    return this;
  }

  emit(name: string, data: MonitorEmit['data']): this {
    this.events.push({ name, data });
    return this;
  }

  effect(e: MonitorItemEffect): this {
    this.effects.push(e);
    return this;
  }

  done(): MonitorItemTransition {
    return { state: this.state, events: this.events, effects: this.effects };
  }
}

/** An item seen for the first time (the state a first match starts from). */
export function blankItemState(key: string, now: number): MonitorItemState {
  return {
    key,
    progress: FRESH,
    actions: 0,
    lastAction: null,
    lastActionAt: null,
    matchedAt: now,
    lastMatchAt: null,
    seenAt: now,
    previewedAt: null,
    data: '{}',
  };
}

export function step(state: MonitorItemState, settings: MonitorSettings, event: MonitorItemEvent, now: number): MonitorItemTransition {
  const t = new Step(state);
  // A monitor with a direct action has no chain; its items never cool down.
  const chain = monitorChain(settings.steps ?? []);
  const direct = settings.steps === null;
  switch (event.type) {
    case 'match':
      return match(t, settings, direct ? null : chain, event, now);
    case 'acted':
      return acted(t, settings, direct ? null : chain, event.act, event.outcome, now);
    case 'clear':
      return clear(t, chain, event.listed, now);
  }
}

function match(
  t: Step,
  settings: MonitorSettings,
  chain: ChainStepper | null,
  event: Extract<MonitorItemEvent, { type: 'match' }>,
  now: number,
): MonitorItemTransition {
  const key = t.item.key;
  t.set({ seenAt: now, lastMatchAt: now, data: event.data });
  if (event.protectedBy !== null) {
    if (t.item.lastAction === PROTECTED) return t.done();
    t.set({ lastAction: PROTECTED, progress: { ...t.item.progress, exhausted: true } });
    t.effect({
      type: 'log',
      line: `[monitor ${settings.name}] ${key}: protected by [safety] (${event.protectedBy}); left alone`,
      warn: { message: 'monitor left a protected path alone', detail: { monitor: settings.name, item: key, protected: event.protectedBy } },
    });
    return t.emit('monitor:protected', { protected: event.protectedBy, paths: event.paths.join(' ') }).done();
  }
  if (t.item.lastAction === PROTECTED) {
    // No longer protected (the [safety] table changed): handled like a new match.
    t.set({ progress: FRESH, lastAction: null, previewedAt: null, matchedAt: now });
  }

  if (settings.dryRun === 'always' || (settings.dryRun === 'first' && t.item.previewedAt === null)) {
    if (t.item.previewedAt !== null) return t.done();
    t.set({ previewedAt: now });
    const would = chain ? chainPreview(chain, t.item) : event.directPreview;
    t.effect({ type: 'log', line: `[monitor ${settings.name}] dry run: ${key}: would ${would}` });
    t.emit('monitor:dry-run', { would, ...(settings.dryRun === 'first' ? { next: 'acts on the next tick if it still matches' } : {}) });
    return t.effect({ type: 'hook', action: 'dry_run', values: { would, reason: `dry run: ${key}` } }).done();
  }

  if (!chain) {
    const act: Act = { action: DIRECT_ACTION, step: null, attempt: 1, of: 1, reason: `${settings.name}: ${key} matches` };
    return t.effect({ type: 'act', act }).done();
  }
  return nextStep(t, settings, chain, now);
}

/** What a dry run says the chain would do next (its cooldown aside). */
function chainPreview(chain: ChainStepper, s: MonitorItemState): string {
  const d = chain.next(s.progress, Number.MAX_SAFE_INTEGER);
  return d.kind === 'act' ? `${d.action}${d.of > 1 ? ` (${d.attempt}/${d.of})` : ''}` : 'nothing (chain exhausted)';
}

/** The chain's next step for a matching item: an action to run, or nothing (cooling down, or exhausted). */
function nextStep(t: Step, settings: MonitorSettings, chain: ChainStepper, now: number): MonitorItemTransition {
  const s = t.item;
  const d = chain.next(s.progress, now);
  if (d.kind === 'exhausted' && !s.progress.exhausted) t.set({ progress: { ...s.progress, exhausted: true } });
  if (d.kind !== 'act') return t.done();
  const reason =
    s.actions === 0
      ? `${settings.name}: ${s.key} matches`
      : `${settings.name}: ${s.key} still matches after ${s.actions} action${s.actions === 1 ? '' : 's'} (last: ${s.lastAction})`;
  return t.effect({ type: 'act', act: { action: d.action, step: d.step, attempt: d.attempt, of: d.of, reason } }).done();
}

function acted(t: Step, settings: MonitorSettings, chain: ChainStepper | null, act: Act, outcome: ActOutcome, now: number): MonitorItemTransition {
  const key = t.item.key;
  const decision: ActDecision | null = act.step === null ? null : { kind: 'act', step: act.step, action: act.action, attempt: act.attempt, of: act.of };
  if (outcome.kind === 'skip' && chain && decision) {
    // The step has nothing to act on for this item: the next one, in the same tick.
    t.set({ progress: chain.skipped(decision) });
    return nextStep(t, settings, chain, now);
  }
  t.set({
    ...(chain && decision ? { progress: chain.acted(decision, now) } : {}),
    actions: t.item.actions + 1,
    lastAction: act.action,
    lastActionAt: now,
  });
  const said = outcome.kind === 'done' ? outcome.detail : outcome.kind === 'failed' ? `failed: ${outcome.error}` : outcome.why;
  t.effect({
    type: 'log',
    line: `[monitor ${settings.name}] ${act.action} ${key}: ${said}`,
    ...(outcome.kind === 'done'
      ? {}
      : { warn: { message: 'monitor action failed', detail: { monitor: settings.name, item: key, action: act.action, error: outcome.kind === 'failed' ? outcome.error : '' } } }),
  });
  const ok = outcome.kind === 'done';
  t.emit(`action:${act.action}`, {
    ...(decision ? { step: decision.step + 1, attempt: decision.attempt, of: decision.of, reason: act.reason } : {}),
    ok: ok ? 1 : 0,
    ...(outcome.kind === 'done' ? { detail: outcome.detail } : outcome.kind === 'failed' ? { error: outcome.error } : {}),
  });
  const values: Record<string, string | number> =
    outcome.kind === 'failed' ? { error: outcome.error, outcome: 'failed' } : { outcome: outcome.kind === 'done' ? 'done' : 'skipped' };
  return t.effect({ type: 'hook', action: act.action, values: { reason: act.reason, ...(decision ? { attempt: decision.attempt } : {}), ...values } }).done();
}

function clear(t: Step, chain: ChainStepper, listed: boolean, now: number): MonitorItemTransition {
  const s = t.item;
  if (!chain.settled(s.progress, now)) {
    // Its last action is still given time to work: the chain keeps its place.
    if (listed) t.set({ seenAt: now });
    return t.done();
  }
  t.forget();
  if (s.actions === 0) return t.done();
  t.emit('monitor:recovered', { actions: s.actions, last: s.lastAction ?? '', listed: listed ? 1 : 0 });
  if (s.lastAction === 'escalate') t.effect({ type: 'releaseEscalation' });
  return t.done();
}
