/**
 * The grant machine of one lock or semaphore: (state, settings, event, now)
 * -> transition. Pure.
 *
 * - At most `max` units are held (a lock: one holder); a holder holds at
 *   most once and is never at the same time in line.
 * - Strict first come, first served: a request is granted at once only when
 *   nobody waits and it fits; a released unit goes to the head of the line,
 *   and the head blocks lighter waiters behind it. Nobody waits for room that
 *   is free.
 * - Requests are re-entrant: asking again while holding is a heartbeat,
 *   while waiting keeps the place; asking again for another weight is
 *   refused (the units held or waited for are what they were). A pipeline's
 *   hold belongs to a phase run: a later run asking again takes it over (a
 *   phase re-run after a restart), and a release by an earlier run leaves a
 *   later run's hold or place alone (releases are applied at least once).
 * - A command that does not apply (a heartbeat from someone who does not
 *   hold it, a weight that can never fit) throws `GrantRejected`.
 */
import { fitsNow, used } from './fit.js';
import { GrantBuilder } from './builder.js';
import { respond, restart, sweep } from './sweep.js';
import { GrantRejected, type GrantEvent, type GrantSettings, type GrantState, type GrantTransition, type Hold, type ReplyOf, type RequestResult } from './types.js';

export function stepGrant<E extends GrantEvent>(state: GrantState, s: GrantSettings, e: E, now: number): GrantTransition<ReplyOf<E>> {
  return step(state, s, e, now) as GrantTransition<ReplyOf<E>>;
}

function step(state: GrantState, s: GrantSettings, e: GrantEvent, now: number): GrantTransition<unknown> {
  const b = new GrantBuilder(state, s, now);
  switch (e.type) {
    case 'request':
      return b.result(request(b, e));
    case 'heartbeat':
      return b.result(heartbeat(b, e.holder));
    case 'attach':
      if (b.hold(e.holder)) b.beat(e.holder, true);
      return b.result(undefined);
    case 'release':
      if (laterRun(b.hold(e.holder) ?? b.waiter(e.holder), e.run)) return b.result(false);
      return b.result(b.release(e.holder, e.reason));
    case 'leave':
      if (b.waiter(e.holder)) {
        b.release(e.holder, null);
        return b.result(false);
      }
      return b.result(b.hold(e.holder) !== undefined);
    case 'forceRelease':
      return b.result(forceRelease(b, e.reason));
    case 'sweep':
      sweep(b, e.facts, e.only);
      return b.result(undefined);
    case 'respond':
      respond(b, e);
      return b.result(undefined);
    case 'restart':
      return b.result(restart(b, e.gone, e.foreign));
  }
}

function request(b: GrantBuilder, r: Extract<GrantEvent, { type: 'request' }>): RequestResult {
  const { kind, name, max } = b.s;
  if (r.weight > max) throw new GrantRejected(`${kind} ${name} has ${max} unit(s); a weight of ${r.weight} can never fit`, `use --weight ${max} or less`);
  const held = b.hold(r.holder);
  const waiting = b.waiter(r.holder);
  const mineNow = held ?? waiting;
  if (mineNow && mineNow.weight !== r.weight) {
    throw new GrantRejected(
      `${r.holder} already ${held ? 'holds' : 'waits for'} ${mineNow.weight} unit(s) of ${kind} ${name}, not ${r.weight}`,
      `oj ${kind} release ${name} --holder ${r.holder}, then acquire ${r.weight}`,
    );
  }
  if (held) {
    b.beat(r.holder, true);
    if (r.phase !== held.phase || r.run !== held.run) b.update(r.holder, { phase: r.phase, run: r.run });
    return { granted: true };
  }
  const mine = b.waiters.findIndex((w) => w.holder === r.holder);
  if (mine >= 0) {
    // Already in line (e.g. a phase re-run after a restart): keep the place.
    const head = b.waiters[0]!;
    if (mine === 0 && fitsNow(max, b.holds, 0, head.weight)) {
      b.grant(head);
      return { granted: true };
    }
    return { granted: false, queued: true, position: mine + 1, detail: describeWait(b, mine) };
  }
  const ahead = b.waiters.length;
  if (fitsNow(max, b.holds, ahead, r.weight)) {
    b.addHold(r);
    b.emitOwn('acquired', r.holder, { holder: r.holder, weight: r.weight });
    return { granted: true };
  }
  if (!r.queue) return { granted: false, queued: false, position: ahead + 1, detail: describeWait(b, ahead) };
  const detail = describeWait(b, ahead);
  b.waiters.push({ holder: r.holder, holderKind: r.holderKind, weight: r.weight, phase: r.phase, run: r.run, since: b.now });
  b.emitOwn('waiting', r.holder, { holder: r.holder, weight: r.weight, position: ahead + 1 });
  return { granted: false, queued: true, position: ahead + 1, detail };
}

/** A release by run `run` does not concern what a later run of the holder took (or waits for). */
function laterRun(mine: { run: number | null } | undefined, run: number | null | undefined): boolean {
  return mine !== undefined && run != null && mine.run !== null && run < mine.run;
}

/** Why a request waits: `held by a; next in line`, `3/3 in use; 2 ahead in line`. */
function describeWait(b: GrantBuilder, ahead: number): string {
  const line = ahead === 0 ? 'next in line' : `${ahead} ahead in line`;
  if (b.s.kind === 'lock') {
    const by = b.holds.map((h) => h.holder).join(', ');
    return by ? `held by ${by}; ${line}` : line;
  }
  return `${used(b.holds)}/${b.s.max} in use; ${line}`;
}

function heartbeat(b: GrantBuilder, holder: string): Hold {
  if (!b.hold(holder)) {
    const { kind, name } = b.s;
    const holders = b.holds.map((h) => h.holder);
    throw new GrantRejected(
      `${holder} does not hold ${kind} ${name}${holders.length ? ` (held by ${holders.join(', ')})` : ' (it is free)'}`,
      `oj ${kind} acquire ${name} --holder ${holder}`,
    );
  }
  b.beat(holder, true);
  return b.hold(holder)!;
}

/** Releases whoever holds it; a live holder's phase is failed. */
function forceRelease(b: GrantBuilder, reason: string): Hold[] {
  const holds = [...b.holds];
  for (const h of holds) {
    b.release(h.holder, reason);
    b.effect({ type: 'abort', holder: h.holder, reason: `${b.what} was force-released: ${reason}`, orRelease: null });
  }
  return holds;
}
