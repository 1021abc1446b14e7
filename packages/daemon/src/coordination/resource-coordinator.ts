/**
 * Locks and semaphores at run time. A lock is a resource of max 1, so one
 * coordinator serves both. Every change (take, wait, release, hand-off to the
 * next waiter) is one write transaction; waiting callers are woken only after
 * it commits. Waiters are served strictly in arrival order (the waiter row's
 * id), which survives a restart.
 *
 * Liveness: the daemon heartbeats the holds of the phases it runs; external
 * holders heartbeat through the CLI. One timer (never a busy loop) wakes at
 * the next moment a hold needs attention: a heartbeat to write, a window or
 * timeout to pass. A stale hold gets its `on_stale` (locks) / `on_orphan`
 * (semaphores) steps, and a reclaimed semaphore slot its `on_orphan_work`.
 */
import { OjError, type JsonValue, type LockMethods } from '@oj/protocol';
import type { Logger } from 'winston';
import { setLongTimeout, type LongTimer } from '../adapters/long-timer.js';
import type { EventLog } from '../events/event-log.js';
import type { ChainStep } from '../runbook/model.js';
import type { PipelineRecord } from '../storage/pipeline-store.js';
import type { HoldRow, HolderKind, ResourceKey, ResourceKind, ResourceStore, WaiterRow } from '../storage/resource-store.js';
import type { Storage } from '../storage/storage.js';
import { fitsNow, grantable, nextAttention, staleness } from './holds.js';

/** What the runbooks say about a lock or semaphore (defaults when it is no longer defined). */
export interface ResourcePolicy {
  kind: ResourceKind;
  id: string;
  name: string;
  project: string;
  defined: boolean;
  max: number;
  heartbeatMs: number;
  timeoutMs: number | null;
  /** Locks: on_stale; semaphores: on_orphan. */
  onStale: ChainStep[];
  /** Semaphores: on_orphan_work (empty for locks). */
  onOrphanWork: ChainStep[];
}

export interface CoordinatorDeps {
  storage: Storage;
  store: ResourceStore;
  events: EventLog;
  logger: Logger;
  now(): number;
  policy(key: ResourceKey): ResourcePolicy;
  pipeline(id: string): PipelineRecord | undefined;
  /** Runs a runbook `[action.x]` step of a chain (fire and forget). */
  runAction(project: string, actionId: string, values: Record<string, string>): void;
  /**
   * `on_orphan_work = "requeue"` (or "dead"): the work of a reclaimed slot's
   * holder goes back to its queue. Called when the holder is a pipeline that
   * has an owner (a worker's queue item); wired by the queues capability.
   */
  orphanWork?: (action: string, pipeline: PipelineRecord, info: { semaphore: string; holder: string; reason: string }) => void;
  /**
   * An `escalate` step for a pipeline holder whose phase this daemon is not
   * running: hands the pipeline to a human (the engine's machine decides).
   * True when the pipeline is now a human's.
   */
  escalatePipeline?: (pipeline: string, reason: string, source: string) => boolean;
}

/**
 * A hold of a phase this daemon runs. `abort` fails the phase (its gate then
 * releases the hold once its processes are gone); `escalate` hands its
 * pipeline to a human: the engine's machine stops the phase's run (the gate
 * then releases the hold the same way) and the pipeline waits, escalated.
 * Each returns false when the phase cannot be aborted or handed over.
 */
export interface LiveHold {
  abort(reason: string): boolean;
  escalate?(reason: string, source: string): boolean;
}

export interface HoldRequest {
  holder: string;
  holderKind: HolderKind;
  weight: number;
  phase: string | null;
}

export type RequestResult = { granted: true } | { granted: false; queued: boolean; position: number; detail: string };

const MAX_SLEEP_MS = 60_000;
const MIN_SLEEP_MS = 10;

function keyText(k: ResourceKey): string {
  return `${k.kind}\0${k.project}\0${k.resource}`;
}
function holderText(k: ResourceKey, holder: string): string {
  return `${keyText(k)}\0${holder}`;
}

export class ResourceCoordinator {
  /** Holds of phases this daemon runs: heartbeated by the daemon (see LiveHold). */
  private readonly live = new Map<string, LiveHold>();
  /** Callers waiting to be granted. */
  private readonly grantWaiters = new Map<string, Set<() => void>>();
  /**
   * Which run of a pipeline owns its hold or place in line. A phase re-entered
   * while its previous run is still ending (transition to the same phase,
   * resume) takes the hold over; the old run's release must not undo that.
   */
  private readonly owners = new Map<string, number>();
  private timer: LongTimer | null = null;
  private timerAt = Infinity;
  private started = false;
  /** Set at daemon stop: durable state (holds, places in line) is left as it is for the next start. */
  stopping = false;

  constructor(private readonly d: CoordinatorDeps) {}

  private get store() {
    return this.d.store;
  }

  // ---- taking and waiting

  /**
   * Takes the resource if the holder already has it (a heartbeat) or it is
   * free with nobody waiting; else puts the holder in line (unless `queue`
   * is false) and says where.
   */
  request(key: ResourceKey, req: HoldRequest, opts: { queue: boolean } = { queue: true }): RequestResult {
    const policy = this.d.policy(key);
    if (req.weight > policy.max) {
      throw OjError.illegalState(`${key.kind} ${policy.name} has ${policy.max} unit(s); a weight of ${req.weight} can never fit`, {
        hint: `use --weight ${policy.max} or less`,
      });
    }
    const result = this.d.storage.write((): RequestResult => {
      const now = this.d.now();
      const held = this.store.hold(key, req.holder);
      if (held) {
        this.store.beat(held.id, now, true);
        if (req.phase !== held.phase) this.store.setPhase(held.id, req.phase);
        return { granted: true };
      }
      const holds = this.store.holds(key);
      const waiters = this.store.waiters(key);
      const mine = waiters.findIndex((w) => w.holder === req.holder);
      if (mine >= 0) {
        // Already in line (e.g. a phase re-run after a restart): keep the place.
        if (mine === 0 && fitsNow(policy.max, holds, 0, waiters[0]!.weight)) {
          this.grant(key, policy, waiters[0]!, now);
          return { granted: true };
        }
        return { granted: false, queued: true, position: mine + 1, detail: this.describeWait(policy, holds, mine) };
      }
      if (fitsNow(policy.max, holds, waiters.length, req.weight)) {
        this.store.insertHold(key, { ...req, heartbeatMs: policy.heartbeatMs, timeoutMs: policy.timeoutMs }, now);
        this.emit(key, `${key.kind}:acquired`, req.holder, { holder: req.holder, weight: req.weight });
        return { granted: true };
      }
      if (!opts.queue) return { granted: false, queued: false, position: waiters.length + 1, detail: this.describeWait(policy, holds, waiters.length) };
      this.store.insertWaiter(key, req, now);
      this.emit(key, `${key.kind}:waiting`, req.holder, { holder: req.holder, weight: req.weight, position: waiters.length + 1 });
      return { granted: false, queued: true, position: waiters.length + 1, detail: this.describeWait(policy, holds, waiters.length) };
    });
    this.schedule();
    return result;
  }

  private describeWait(policy: ResourcePolicy, holds: HoldRow[], ahead: number): string {
    const by = holds.map((h) => h.holder).join(', ');
    const line = ahead === 0 ? 'next in line' : `${ahead} ahead in line`;
    if (policy.kind === 'lock') return by ? `held by ${by}; ${line}` : line;
    const used = holds.reduce((n, h) => n + h.weight, 0);
    return `${used}/${policy.max} in use; ${line}`;
  }

  /** Resolves once `holder` holds the resource (at once if it does). */
  granted(key: ResourceKey, holder: string): { promise: Promise<void>; cancel(): void } {
    if (this.store.hold(key, holder)) return { promise: Promise.resolve(), cancel: () => {} };
    const id = holderText(key, holder);
    let wake: () => void = () => {};
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
      let set = this.grantWaiters.get(id);
      if (!set) this.grantWaiters.set(id, (set = new Set()));
      set.add(resolve);
    });
    return { promise, cancel: () => this.grantWaiters.get(id)?.delete(wake) };
  }

  /** The run of a pipeline that now owns its hold or place in line for this resource. */
  claim(key: ResourceKey, holder: string, run: number): void {
    this.owners.set(holderText(key, holder), run);
  }

  /** Whether `run` (still) owns the pipeline's hold or place; true when nobody claimed it. */
  owns(key: ResourceKey, holder: string, run: number): boolean {
    const owner = this.owners.get(holderText(key, holder));
    return owner === undefined || owner === run;
  }

  /** A run is done with the resource: forgets its claim (if it still has it). */
  unclaim(key: ResourceKey, holder: string, run: number): void {
    const id = holderText(key, holder);
    if (this.owners.get(id) === run) this.owners.delete(id);
  }

  /** The short name of a lock or semaphore, for messages. */
  policyName(key: ResourceKey): string {
    return this.d.policy(key).name;
  }

  /** What the runbooks say about a lock or semaphore now. */
  policyOf(key: ResourceKey): ResourcePolicy {
    return this.d.policy(key);
  }

  /**
   * A waiter gives up (its phase stopped, its client left or timed out).
   * Returns true when it was granted meanwhile (the caller decides whether to
   * keep or release). While the daemon is stopping the place in line is kept.
   */
  abandonWait(key: ResourceKey, holder: string): boolean {
    if (this.stopping) return this.store.hold(key, holder) !== undefined;
    return this.d.storage.write(() => {
      const w = this.store.waiter(key, holder);
      if (w) {
        this.store.deleteWaiter(w.id);
        this.emit(key, `${key.kind}:left`, holder, { holder });
        // The head leaving may let those behind it in.
        this.promote(key);
        return false;
      }
      return this.store.hold(key, holder) !== undefined;
    });
  }

  /** Marks a hold as belonging to a running phase (the daemon heartbeats it; see LiveHold). */
  attachLive(key: ResourceKey, holder: string, live: LiveHold): void {
    this.live.set(holderText(key, holder), live);
    const h = this.store.hold(key, holder);
    if (h) this.d.storage.write(() => this.store.beat(h.id, this.d.now(), true));
    this.schedule();
  }

  detachLive(key: ResourceKey, holder: string): void {
    this.live.delete(holderText(key, holder));
  }

  private isLive(h: { kind: ResourceKind; project: string; resource: string; holder: string }): boolean {
    return this.live.has(holderText(h, h.holder));
  }

  // ---- releasing

  /** Releases `holder`'s hold (or place in line); the next waiters that fit get it. */
  release(key: ResourceKey, holder: string, reason: string): boolean {
    const released = this.d.storage.write(() => {
      const h = this.store.hold(key, holder);
      if (h) {
        this.store.deleteHold(h.id);
        this.emit(key, `${key.kind}:released`, holder, { holder, reason });
        this.promote(key);
        return true;
      }
      const w = this.store.waiter(key, holder);
      if (w) {
        this.store.deleteWaiter(w.id);
        this.emit(key, `${key.kind}:left`, holder, { holder, reason });
        this.promote(key);
      }
      return false;
    });
    this.schedule();
    return released;
  }

  /** Releases whoever holds the resource; a live holder's phase is failed. */
  forceRelease(key: ResourceKey, reason: string): HoldRow[] {
    const holds = this.store.holds(key);
    for (const h of holds) {
      this.release(key, h.holder, reason);
      this.live.get(holderText(key, h.holder))?.abort(`${key.kind} ${this.d.policy(key).name} was force-released: ${reason}`);
    }
    return holds;
  }

  heartbeat(key: ResourceKey, holder: string): HoldRow {
    const h = this.store.hold(key, holder);
    if (!h) {
      const policy = this.d.policy(key);
      const holders = this.store.holds(key).map((x) => x.holder);
      throw OjError.illegalState(
        `${holder} does not hold ${key.kind} ${policy.name}${holders.length ? ` (held by ${holders.join(', ')})` : ' (it is free)'}`,
        { hint: `oj ${key.kind} acquire ${policy.name} --holder ${holder}` },
      );
    }
    this.d.storage.write(() => this.store.beat(h.id, this.d.now(), true));
    this.schedule();
    return this.store.hold(key, holder)!;
  }

  /** Grants the waiters at the head of the line that fit now. Call inside a write. */
  private promote(key: ResourceKey): void {
    const policy = this.d.policy(key);
    const now = this.d.now();
    for (const w of grantable(policy.max, this.store.holds(key), this.store.waiters(key))) this.grant(key, policy, w, now);
  }

  private grant(key: ResourceKey, policy: ResourcePolicy, w: WaiterRow, now: number): void {
    this.store.deleteWaiter(w.id);
    this.store.insertHold(
      key,
      { holder: w.holder, holderKind: w.holderKind, weight: w.weight, phase: w.phase, heartbeatMs: policy.heartbeatMs, timeoutMs: policy.timeoutMs },
      now,
    );
    this.emit(key, `${key.kind}:acquired`, w.holder, { holder: w.holder, weight: w.weight, waitedMs: now - w.since });
    const id = holderText(key, w.holder);
    this.d.storage.afterCommit(() => {
      const wake = this.grantWaiters.get(id);
      this.grantWaiters.delete(id);
      for (const cb of wake ?? []) cb();
    });
  }

  // ---- staleness

  /** Whether a hold is stale now (for `is-stale` and listings). */
  stalenessOf(h: HoldRow): { stale: boolean; reason: string | null } {
    if (h.staleAt !== null) return { stale: true, reason: h.staleReason };
    const s = staleness(h, this.d.now(), this.isLive(h));
    return s.stale ? { stale: true, reason: s.reason } : { stale: false, reason: null };
  }

  /** Why a pipeline hold's holder is gone (its pipeline ended or moved on), or null. */
  private pipelineGone(r: { kind: ResourceKind; resource: string; holder: string; phase: string | null }): string | null {
    const p = this.d.pipeline(r.holder);
    if (!p) return `pipeline ${r.holder} no longer exists`;
    const s = p.state.status;
    if (s !== 'running' && s !== 'waiting') return `pipeline ${r.holder} is ${s}`;
    const phase = p.definition.phases.find((x) => x.name === p.state.phase);
    const uses = r.kind === 'lock' ? phase?.lock === r.resource : phase?.semaphore === r.resource;
    if (!uses) return `pipeline ${r.holder} is in phase ${p.state.phase ?? '-'}, which does not use it`;
    return null;
  }

  /**
   * At daemon start, before pipelines re-run: holds and places in line of
   * pipelines that moved on are dropped; the rest are kept (a re-run phase
   * takes its lock again at once). Every surviving hold gets a fresh
   * heartbeat: while the daemon was down nobody could send one, so external
   * holders get one window to show they are alive. Waiting CLI clients died
   * with the old daemon, so their places go.
   */
  reconcile(): { released: number; kept: number; dropped: number } {
    let released = 0;
    let kept = 0;
    let dropped = 0;
    const touched = new Map<string, ResourceKey>();
    this.d.storage.write(() => {
      const now = this.d.now();
      for (const h of this.store.allHolds()) {
        const key = { kind: h.kind, project: h.project, resource: h.resource };
        const gone = h.holderKind === 'pipeline' ? this.pipelineGone(h) : null;
        if (gone) {
          this.store.deleteHold(h.id);
          this.emit(key, `${h.kind}:released`, h.holder, { holder: h.holder, reason: `daemon restart: ${gone}` });
          touched.set(keyText(key), key);
          released++;
        } else {
          this.store.beat(h.id, now, false);
          kept++;
        }
      }
      for (const w of this.store.allWaiters()) {
        const key = { kind: w.kind, project: w.project, resource: w.resource };
        const gone = w.holderKind === 'pipeline' ? this.pipelineGone(w) : 'its client left with the old daemon';
        if (gone) {
          this.store.deleteWaiter(w.id);
          this.emit(key, `${w.kind}:left`, w.holder, { holder: w.holder, reason: `daemon restart: ${gone}` });
          touched.set(keyText(key), key);
          dropped++;
        }
      }
      // Free room goes to the head of each line now; a pipeline that does not come back
      // for it within its heartbeat window loses it like any silent holder.
      for (const w of this.store.allWaiters()) touched.set(keyText(w), { kind: w.kind, project: w.project, resource: w.resource });
      for (const key of touched.values()) this.promote(key);
    });
    if (released || dropped) this.d.logger.info('locks and semaphores reconciled', { released, kept, dropped });
    return { released, kept, dropped };
  }

  start(): void {
    this.started = true;
    this.stopping = false;
    this.sweep();
  }

  stop(): void {
    this.stopping = true;
    this.started = false;
    this.timer?.cancel();
    this.timer = null;
    this.timerAt = Infinity;
  }

  /** Arms the one timer for the next moment a hold needs attention. */
  schedule(): void {
    if (!this.started || this.stopping) return;
    let next = this.d.now() + MAX_SLEEP_MS;
    for (const h of this.store.allHolds()) {
      if (h.staleAt !== null) continue;
      next = Math.min(next, nextAttention(h, this.isLive(h)));
    }
    if (this.timer && next >= this.timerAt) return;
    this.timer?.cancel();
    this.timerAt = next;
    this.timer = setLongTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.sweep();
      },
      Math.max(MIN_SLEEP_MS, next - this.d.now()),
      { unref: true },
    );
  }

  /** Heartbeats live holds, acts on stale ones, then re-arms the timer. */
  sweep(): void {
    if (this.stopping) return;
    try {
      const now = this.d.now();
      const beat: number[] = [];
      const stale: { h: HoldRow; reason: string; cause: 'heartbeat' | 'timeout' | 'gone' }[] = [];
      for (const h of this.store.allHolds()) {
        if (h.staleAt !== null) continue;
        const live = this.isLive(h);
        if (h.holderKind === 'pipeline' && !live) {
          const gone = this.pipelineGone(h);
          if (gone) {
            stale.push({ h, reason: `holder gone: ${gone}`, cause: 'gone' });
            continue;
          }
        }
        const s = staleness(h, now, live);
        if (s.stale) stale.push({ h, reason: s.reason, cause: s.cause });
        else if (live && now - h.heartbeatAt >= Math.floor(h.heartbeatMs / 2)) beat.push(h.id);
      }
      if (beat.length) this.d.storage.write(() => this.store.beatMany(beat, now));
      for (const s of stale) this.onStale(s.h, s.reason, s.cause);
    } catch (err) {
      this.d.logger.error('lock/semaphore sweep failed', { error: String(err) });
    }
    this.schedule();
  }

  /**
   * Runs the hold's `on_stale` / `on_orphan` steps, all of them in order
   * (they are complementary: release it, roll back, tell a human). Without a
   * release step the hold stays, marked stale (`oj lock is-stale` is true),
   * and the steps do not run again unless the holder heartbeats and goes
   * silent once more.
   *
   * A pipeline holder with `escalate` among the steps is handed to a human
   * first, in two stages decided by the engine's machine: its phase's run is
   * stopped (the phase's gate releases the hold once its processes are gone,
   * as every phase handed to a human lets go of its locks), then the pipeline
   * waits, escalated, for a human's decision.
   */
  private onStale(h: HoldRow, reason: string, cause: 'heartbeat' | 'timeout' | 'gone'): void {
    const key = { kind: h.kind, project: h.project, resource: h.resource };
    const policy = this.d.policy(key);
    const what = `${h.kind} ${policy.name}`;
    const liveHold = this.live.get(holderText(key, h.holder));
    this.d.storage.write(() => {
      this.store.markStale(h.id, this.d.now(), reason);
      this.emit(key, h.kind === 'lock' ? 'lock:stale' : 'semaphore:orphan', h.holder, { holder: h.holder, reason, cause });
    });
    this.d.logger.warn(`${what}: ${h.kind === 'lock' ? 'stale holder' : 'orphaned slot'}`, { holder: h.holder, reason });
    const steps = policy.onStale.length ? policy.onStale : [builtinStep(h.kind === 'lock' ? 'release' : 'reclaim')];
    const escalates = steps.some((s) => (s.id === null || s.builtin) && s.action === 'escalate');
    // A pipeline whose holder phase is gone has no work left to stop: it is not handed over.
    const handed = escalates && h.holderKind === 'pipeline' && cause !== 'gone' ? this.handToHuman(h, liveHold, `${what}: ${reason}`) : false;
    let freed = false;
    const values = { [h.kind]: policy.name, holder: h.holder, reason };
    for (const step of steps) {
      try {
        if (step.id !== null && !step.builtin) {
          this.emit(key, `action:${step.action}`, h.holder, { holder: h.holder, reason });
          this.d.runAction(h.project, step.id, values);
          continue;
        }
        switch (step.action) {
          case 'release':
          case 'reclaim':
            if (freed) break;
            // A running phase is failed (or, handed to a human, stopped) first and frees the hold
            // once its processes are gone, so two holders never overlap; anyone else loses it at once.
            if (handed && liveHold) {
              freed = true;
              break;
            }
            if (handed || !liveHold?.abort(`${what} was taken back: ${reason}`)) {
              this.release(key, h.holder, `${cause === 'timeout' ? 'timeout' : 'stale'}: ${reason}`);
            }
            freed = true;
            break;
          case 'rollback':
            // The holder's own rollback happens when its phase fails (a strategy rolls back its attempt);
            // the event is the hook for anything else (a monitor, an [action.rollback]).
            this.emit(key, `${h.kind}:rollback`, h.holder, { holder: h.holder, reason });
            break;
          case 'escalate':
            // A pipeline handed to a human has its escalation already (its machine emitted it, with its phase).
            if (handed) break;
            this.emit(key, 'escalate', h.holder, { holder: h.holder, reason: `${what}: ${reason}` });
            this.d.logger.warn(`escalated: ${what} held by ${h.holder}: ${reason}`);
            break;
          case 'requeue':
          case 'dead':
            this.orphanWork(policy, h, step.action, reason);
            break;
          default:
            this.emit(key, `action:${step.action}`, h.holder, { holder: h.holder, reason, note: 'not applicable to a stale hold' });
        }
      } catch (err) {
        this.d.logger.error(`${what}: on_stale step ${step.text} failed`, { error: String(err) });
      }
    }
    // A live holder is not gone: its phase fails and its own on_fail decides about its work;
    // a pipeline handed to a human keeps its work until the human decides.
    if (freed && h.kind === 'semaphore' && !liveHold && !handed) {
      for (const step of policy.onOrphanWork) {
        if (step.id !== null && !step.builtin) this.d.runAction(h.project, step.id, values);
        else this.orphanWork(policy, h, step.action, reason);
      }
    }
  }

  /** Hands a stale hold's pipeline to a human (see onStale); true when its machine took it. */
  private handToHuman(h: HoldRow, liveHold: LiveHold | undefined, reason: string): boolean {
    try {
      const taken = liveHold?.escalate ? liveHold.escalate(reason, h.kind) : (this.d.escalatePipeline?.(h.holder, reason, h.kind) ?? false);
      if (taken) this.d.logger.warn(`escalated: pipeline ${h.holder} waits for a human`, { reason });
      return taken;
    } catch (err) {
      this.d.logger.error('pipeline not handed to a human', { pipeline: h.holder, error: String(err) });
      return false;
    }
  }

  private orphanWork(policy: ResourcePolicy, h: HoldRow, action: string, reason: string): void {
    const key = { kind: h.kind, project: h.project, resource: h.resource };
    const p = this.d.pipeline(h.holder);
    const owner = p?.owner ?? null;
    this.emit(key, 'semaphore:orphan-work', h.holder, {
      holder: h.holder,
      action,
      reason,
      ...(owner ? { owner } : {}),
    });
    if (p && owner && this.d.orphanWork) this.d.orphanWork(action, p, { semaphore: policy.name, holder: h.holder, reason });
  }

  // ---- views

  holderInfo(h: HoldRow): LockMethods.HolderInfo {
    const s = this.stalenessOf(h);
    return {
      holder: h.holder,
      kind: h.holderKind,
      weight: h.weight,
      phase: h.phase,
      acquiredAt: iso(h.acquiredAt),
      heartbeatAt: iso(h.heartbeatAt),
      stale: s.stale,
      staleReason: s.reason,
    };
  }

  waiterInfos(key: ResourceKey): LockMethods.WaiterInfo[] {
    return this.store.waiters(key).map((w, i) => ({
      holder: w.holder,
      kind: w.holderKind,
      weight: w.weight,
      phase: w.phase,
      since: iso(w.since),
      position: i + 1,
    }));
  }

  private emit(key: ResourceKey, name: string, subject: string, data: Record<string, JsonValue>): void {
    const policy = this.d.policy(key);
    this.d.events.emit({ name, subject, project: key.project, data: { [key.kind]: policy.name, id: key.resource, ...data } });
  }
}

function builtinStep(action: string): ChainStep {
  return { text: action, action, max: null, id: null, builtin: true };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
