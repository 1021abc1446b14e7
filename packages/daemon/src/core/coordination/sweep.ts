/**
 * What time and the daemon's own life do to a lock or semaphore: the sweep
 * (stale detection, the daemon's heartbeat of live holds), the response to
 * a stale hold (see stale-response.ts), and the reconciliation at a restart.
 */
import { escalateData, unreachable } from '../recovery/index.js';
import type { GrantBuilder } from './builder.js';
import { decideStale, type StaleAction } from './stale-response.js';
import { beatDue, staleness } from './staleness.js';
import type { GrantEvent, Hold, HolderFacts, StaleCause } from './types.js';

const UNKNOWN: HolderFacts = { live: false, gone: null, owner: null };

/**
 * Live holds whose heartbeat is half a window old get the daemon's; a hold
 * whose holder went silent or timed out, or whose pipeline is gone (and not
 * running here), turns stale: it is marked (once: a stale hold is not looked
 * at again until a heartbeat revives it) and its steps run, or its pipeline
 * is first offered to a human (`handOver`, then `respond`).
 */
export function sweep(b: GrantBuilder, facts: ReadonlyMap<string, HolderFacts>, only?: ReadonlySet<string>): void {
  for (const h of [...b.holds]) {
    if (h.staleAt !== null) continue;
    if (only && !only.has(h.holder)) continue;
    const f = facts.get(h.holder) ?? UNKNOWN;
    if (h.holderKind === 'pipeline' && !f.live && f.gone !== null) {
      markStale(b, h, `holder gone: ${f.gone}`, 'gone', f);
      continue;
    }
    const s = staleness(h, b.now, f.live);
    if (s.stale) markStale(b, h, s.reason, s.cause, f);
    else if (f.live && beatDue(h, b.now)) b.beat(h.holder, false);
  }
}

function markStale(b: GrantBuilder, h: Hold, reason: string, cause: StaleCause, facts: HolderFacts): void {
  const lock = b.s.kind === 'lock';
  b.update(h.holder, { staleAt: b.now, staleReason: reason });
  b.emit(lock ? 'lock:stale' : 'semaphore:orphan', h.holder, { holder: h.holder, reason, cause });
  b.effect({ type: 'log', level: 'warn', message: `${b.what}: ${lock ? 'stale holder' : 'orphaned slot'}`, fields: { holder: h.holder, reason } });
  const d = decideStale(b.s, { holderKind: h.holderKind, cause, live: facts.live, handed: null });
  if (d.type === 'handOver') b.effect({ type: 'handOver', holder: h.holder, holderKind: h.holderKind, cause, reason, facts });
  else act(b, h.holder, reason, cause, facts, d.actions);
}

/** The steps of a stale hold whose pipeline was offered to a human. */
export function respond(b: GrantBuilder, e: Extract<GrantEvent, { type: 'respond' }>): void {
  const d = decideStale(b.s, { holderKind: e.holderKind, cause: e.cause, live: e.facts.live, handed: e.handed });
  if (d.type === 'act') act(b, e.holder, e.reason, e.cause, e.facts, d.actions);
}

function act(b: GrantBuilder, holder: string, reason: string, cause: StaleCause, facts: HolderFacts, actions: readonly StaleAction[]): void {
  const { kind, name } = b.s;
  const values = { [kind]: name, holder, reason };
  const takeBack = `${cause === 'timeout' ? 'timeout' : 'stale'}: ${reason}`;
  for (const a of actions) {
    switch (a.type) {
      case 'release':
        b.release(holder, takeBack);
        break;
      case 'abort':
        b.effect({ type: 'abort', holder, reason: `${b.what} was taken back: ${reason}`, orRelease: takeBack });
        break;
      case 'rollback':
        // The holder's own rollback happens when its phase fails (a strategy rolls back its attempt);
        // the event is the hook for anything else (a monitor, an [action.rollback]).
        b.emitOwn('rollback', holder, { holder, reason });
        break;
      case 'escalate':
        // The holder is the subject: a pipeline holder's escalation is recorded against its pipeline.
        b.emit('escalate', holder, escalateData({ source: kind, reason: `${b.what}: ${reason}`, detail: { holder } }));
        b.effect({ type: 'log', level: 'warn', message: `escalated: ${b.what} held by ${holder}: ${reason}`, fields: {} });
        break;
      case 'action':
        if (a.announce) b.emit(`action:${a.action}`, holder, { holder, reason });
        b.effect({ type: 'runAction', action: a.id, values });
        break;
      case 'orphanWork':
        b.emit('semaphore:orphan-work', holder, { holder, action: a.action, reason, ...(facts.owner ? { owner: facts.owner } : {}) });
        if (facts.owner) b.effect({ type: 'orphanWork', holder, action: a.action, reason });
        break;
      case 'notApplicable':
        b.emit(`action:${a.action}`, holder, { holder, reason, note: 'not applicable to a stale hold' });
        break;
      default:
        unreachable(a);
    }
  }
}

/**
 * Daemon start, before pipelines re-run: holds and places in line of
 * pipelines that moved on (`gone`) are dropped; the rest are kept (a re-run
 * phase takes its hold again at once). Every surviving hold gets a fresh
 * heartbeat: while the daemon was down nobody could send one, so external
 * holders get one window to show they are alive. Waiting CLI clients died
 * with the old daemon, so their places go. Free room goes to the head of
 * the line now; a pipeline that does not come back for it within its
 * heartbeat window loses it like any silent holder.
 */
export function restart(b: GrantBuilder, gone: ReadonlyMap<string, string>, foreign: ReadonlySet<string> = new Set()): { released: number; kept: number; dropped: number } {
  let released = 0;
  let kept = 0;
  let dropped = 0;
  for (const h of [...b.holds]) {
    if (foreign.has(h.holder)) continue;
    const why = h.holderKind === 'pipeline' ? gone.get(h.holder) : undefined;
    if (why === undefined) {
      b.beat(h.holder, false);
      kept++;
      continue;
    }
    b.holds = b.holds.filter((x) => x.holder !== h.holder);
    b.emitOwn('released', h.holder, { holder: h.holder, reason: `daemon restart: ${why}` });
    released++;
  }
  for (const w of [...b.waiters]) {
    if (foreign.has(w.holder)) continue;
    const why = w.holderKind === 'pipeline' ? gone.get(w.holder) : 'its client left with the old daemon';
    if (why === undefined) continue;
    b.removeWaiter(w.holder);
    b.emitOwn('left', w.holder, { holder: w.holder, reason: `daemon restart: ${why}` });
    dropped++;
  }
  b.promote();
  return { released, kept, dropped };
}
