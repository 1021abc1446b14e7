/**
 * Locks and semaphores at run time: the shell around the grant machine
 * (core/coordination). Every change (take, wait, heartbeat, release,
 * hand-off to the next waiter, staleness) goes through `apply`: load the
 * resource's rows, step the machine, write the rows and events in one
 * transaction; effects (waking granted callers, failing phases, actions)
 * run after the commit. Waiters are served strictly in arrival order (the
 * waiter row's id), which survives a restart.
 *
 * Liveness: the daemon heartbeats the holds of the phases it runs; external
 * holders heartbeat through the CLI. One timer (never a busy loop) wakes at
 * the next moment a hold needs attention: a heartbeat to write, a window or
 * timeout to pass. A stale hold gets its `on_stale` (locks) / `on_orphan`
 * (semaphores) steps, and a reclaimed semaphore slot its `on_orphan_work`
 * (core/coordination/stale-response.ts decides what they do).
 *
 * The rows are in the shared store: in a cluster, one holder cluster-wide,
 * waiters from every host in arrival order, a grant to a waiter on another
 * host told to that host; each host heartbeats and judges the holds of its
 * own phases, and the cluster's leader judges every other one (a hold whose
 * host is gone is stale at once).
 */
import type { JsonValue, LockMethods } from '@oj/protocol';
import { DeadlineTimer } from '../adapters/deadline-timer.js';
import { nextAttention, staleNow, type GrantEvent, type Hold, type ReplyOf, type Request, type RequestResult } from '../core/coordination/index.js';
import type { HoldRow, ResourceKey } from '../storage/resource-store.js';
import type { SharedHoldRow, SharedWaiterRow } from '../storage/shared-resources.js';
import type { CoordinatorDeps, LiveHold, ResourcePolicy } from './coordinator-deps.js';
import { applyGrant, grantDecision } from './grant-apply.js';
import { runGrantEffects, type GrantEffectDeps } from './grant-effects.js';
import { goneAtRestart, holderFacts } from './holder-facts.js';
import { GrantWaits, LiveHolds, RunClaims, keyText } from './holder-registry.js';
import { holderInfo, waiterInfos } from './resource-views.js';

const keyOf = (r: { kind: ResourceKey['kind']; project: string; resource: string }): ResourceKey => ({ kind: r.kind, project: r.project, resource: r.resource });

/** A phase run lets go of its hold (or place in line): written with its outcome, applied at least once. */
interface PhaseRelease {
  holder: string;
  run: number;
  reason: string;
}

export class ResourceCoordinator {
  /** Holds of phases this daemon runs: heartbeated by the daemon (see LiveHold). */
  private readonly live = new LiveHolds();
  private readonly waits = new GrantWaits();
  private readonly claims = new RunClaims();
  /** The one timer: at the next moment a hold needs attention, and at least every minute while anything is held (a pipeline holder may be gone) or in a cluster. */
  private readonly timer: DeadlineTimer;
  private readonly effects: GrantEffectDeps;
  private started = false;
  /** Set at daemon stop: durable state (holds, places in line) is left as it is for the next start. */
  stopping = false;

  constructor(private readonly d: CoordinatorDeps) {
    // The leader of a cluster looks again more often: holds taken on other hosts arm nothing here.
    const look = d.leader?.lookEveryMs ?? null;
    this.timer = new DeadlineTimer(d.now, () => void this.sweep(), { maxWaitMs: look === null ? 60_000 : Math.min(60_000, look), minWaitMs: 10 });
    this.effects = { d, live: this.live, waits: this.waits, apply: (key, e) => this.apply(key, e), done: () => this.schedule() };
    d.shared.setSettler((key, holds, waiters, payload) => {
      const p = payload as unknown as PhaseRelease;
      const r = grantDecision(d, key, { type: 'release', holder: p.holder, reason: p.reason, run: p.run }, (k, policy, effects) => runGrantEffects(this.effects, k, policy, effects), holds, waiters);
      return {
        ...r,
        result: undefined,
        local: () => {
          r.local?.();
          d.storage.afterCommit(() => this.schedule());
        },
      };
    });
    d.remote?.onRemoteGrant((key, holder) => this.waits.wake(key, holder));
    // Grants told while this host was not listening were missed: every waiter here looks again.
    d.remote?.onRemoteChange((n) => {
      if (n === null) void this.recheckWaits();
    });
    // A host that becomes the leader judges every host's holds from now on: at once.
    d.leader?.onChange((c) => {
      if (c.leads && this.started) void this.sweep();
    });
  }

  /** Whether this daemon judges every hold of the project (it leads the project in the cluster, or is on its own), or only its own. */
  private judgesAll(project: string): boolean {
    return this.d.leader?.leads(project) ?? true;
  }

  private apply<E extends GrantEvent>(key: ResourceKey, e: E | ((holds: SharedHoldRow[], waiters: SharedWaiterRow[]) => E)): Promise<ReplyOf<E>> {
    return applyGrant(this.d, key, e, (k, policy, effects) => runGrantEffects(this.effects, k, policy, effects));
  }

  /** Wakes every waiter here that holds its resource by now. */
  private async recheckWaits(): Promise<void> {
    for (const [key, holder] of this.waits.waiting()) {
      try {
        if (await this.d.shared.hold(key, holder)) this.waits.wake(key, holder);
      } catch {
        // the database is away: the next look tries again
      }
    }
  }

  // ---- taking and waiting

  /**
   * Takes the resource if the holder already has it (a heartbeat) or it is
   * free with nobody waiting; else puts the holder in line (unless `queue`
   * is false) and says where.
   */
  async request(key: ResourceKey, req: Request, opts: { queue: boolean } = { queue: true }): Promise<RequestResult> {
    // A pipeline's earlier phase let go of what it held with its outcome: in a cluster that is applied
    // after the commit; ask once it has been, so the next phase asks like anyone, as on one host.
    if (req.run !== null) await this.d.shared.settling();
    const result = await this.apply(key, { type: 'request', queue: opts.queue, ...req });
    this.schedule();
    return result;
  }

  /** Resolves once `holder` holds the resource (at once if it does). */
  granted(key: ResourceKey, holder: string): { promise: Promise<void>; cancel(): void } {
    // Waiting first, then looking: a grant made in between is not missed.
    const w = this.waits.wait(key, holder);
    this.d.shared.hold(key, holder).then(
      (h) => {
        if (h) this.waits.wake(key, holder);
      },
      () => {},
    );
    return w;
  }

  /** The run of a pipeline that now owns its hold or place in line for this resource. */
  claim(key: ResourceKey, holder: string, run: number): void {
    this.claims.claim(key, holder, run);
  }

  /** Whether `run` (still) owns the pipeline's hold or place; true when nobody claimed it. */
  owns(key: ResourceKey, holder: string, run: number): boolean {
    return this.claims.owns(key, holder, run);
  }

  /** A run is done with the resource: forgets its claim (if it still has it). */
  unclaim(key: ResourceKey, holder: string, run: number): void {
    this.claims.unclaim(key, holder, run);
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
  async abandonWait(key: ResourceKey, holder: string): Promise<boolean> {
    if (this.stopping) return (await this.d.shared.hold(key, holder)) !== undefined;
    return this.apply(key, { type: 'leave', holder });
  }

  /** Marks a hold as belonging to a running phase (the daemon heartbeats it; see LiveHold). */
  async attachLive(key: ResourceKey, holder: string, live: LiveHold): Promise<void> {
    this.live.attach(key, holder, live);
    await this.apply(key, { type: 'attach', holder });
    this.schedule();
  }

  detachLive(key: ResourceKey, holder: string): void {
    this.live.detach(key, holder);
  }

  // ---- releasing

  /** Releases `holder`'s hold (or place in line); the next waiters that fit get it. True when it held. */
  async release(key: ResourceKey, holder: string, reason: string): Promise<boolean> {
    const released = await this.apply(key, { type: 'release', holder, reason });
    this.schedule();
    return released;
  }

  /**
   * Inside the write that records a phase run's outcome: releases the hold
   * (or place in line) that run has. Applied in that write on SQLite; in a
   * cluster written to the outbox with it and applied to PostgreSQL after the
   * commit, at least once: a hold a later run of the pipeline has is left alone.
   */
  releaseWithOutcome(key: ResourceKey, holder: string, run: number, reason: string): void {
    const entry: PhaseRelease = { holder, run, reason };
    this.d.shared.settle(key, entry as unknown as JsonValue);
  }

  /** Releases whoever holds the resource; a live holder's phase is failed. */
  async forceRelease(key: ResourceKey, reason: string): Promise<Hold[]> {
    const released = await this.apply(key, { type: 'forceRelease', reason });
    this.schedule();
    return released;
  }

  /** A holder's heartbeat; an illegal-state error when it does not hold the resource. */
  async heartbeat(key: ResourceKey, holder: string): Promise<HoldRow> {
    await this.apply(key, { type: 'heartbeat', holder });
    this.schedule();
    return (await this.d.shared.hold(key, holder))!;
  }

  // ---- staleness

  /** Whether a hold is stale now (for `is-stale` and listings). */
  stalenessOf(h: HoldRow): { stale: boolean; reason: string | null } {
    return staleNow(h, this.d.now(), this.live.has(keyOf(h), h.holder));
  }

  /**
   * At daemon start, before pipelines re-run: holds and places in line of
   * pipelines that moved on are dropped, as are waiting CLI clients (they
   * died with the old daemon); surviving holds get a fresh heartbeat.
   */
  async reconcile(): Promise<{ released: number; kept: number; dropped: number }> {
    const total = { released: 0, kept: 0, dropped: 0 };
    const { shared } = this.d;
    const keys = new Map<string, ResourceKey>();
    // This host's holds and places in line (in a cluster, the other hosts' are theirs).
    for (const r of [...(await shared.allHolds()), ...(await shared.allWaiters())]) if (r.here) keys.set(keyText(r), keyOf(r));
    for (const key of keys.values()) {
      const n = await this.apply(key, (holds, waiters) => {
        const rows = [...holds, ...waiters];
        const mine = rows.filter((r) => r.here);
        return { type: 'restart', gone: goneAtRestart(this.d.pipeline, key, mine), foreign: new Set(rows.filter((r) => !r.here).map((r) => r.holder)) };
      });
      total.released += n.released;
      total.kept += n.kept;
      total.dropped += n.dropped;
    }
    if (total.released || total.dropped) this.d.logger.info('locks and semaphores reconciled', { released: total.released, kept: total.kept, dropped: total.dropped });
    return total;
  }

  start(): void {
    this.started = true;
    this.stopping = false;
    void this.sweep();
  }

  stop(): void {
    this.stopping = true;
    this.started = false;
    this.timer.cancel();
  }

  /** Arms the one timer for the next moment a hold needs attention. */
  schedule(): void {
    void this.scheduleNow();
  }

  private async scheduleNow(): Promise<void> {
    if (!this.started || this.stopping) return;
    let next = Infinity;
    let held: boolean | null = false;
    try {
      for (const h of await this.d.shared.allHolds()) {
        held = true;
        if (h.staleAt !== null || !(h.here || this.judgesAll(h.project))) continue;
        next = Math.min(next, nextAttention(h, this.live.has(keyOf(h), h.holder)));
      }
    } catch {
      // The shared database is away: the timer's longest wait brings the next look.
      held = null;
    }
    if (!this.started || this.stopping) return;
    // Nothing held and nobody waiting, on a daemon of its own (no other host's holders to
    // outlive): nothing needs a look until a hold or a wait is made, which schedules again.
    if (held === false && this.d.remote === undefined && this.waits.waiting().length === 0) {
      this.timer.cancel();
      return;
    }
    this.timer.arm(next);
  }

  /** Heartbeats live holds and acts on stale ones (each resource in its own step), then re-arms the timer. */
  sweep(): Promise<void> {
    return this.sweepNow();
  }

  private async sweepNow(): Promise<void> {
    if (this.stopping) return;
    const keys = new Map<string, ResourceKey>();
    // The project's leader (or a daemon on its own) judges every hold; another host of the cluster only its own.
    try {
      for (const h of await this.d.shared.allHolds()) if (h.staleAt === null && (h.here || this.judgesAll(h.project))) keys.set(keyText(h), keyOf(h));
    } catch (err) {
      this.d.logger.warn('lock/semaphore sweep skipped', { error: String(err) });
    }
    for (const key of keys.values()) {
      try {
        await this.apply(key, (holds) => ({
          type: 'sweep',
          facts: holderFacts(this.d.pipeline, key, holds, (holder) => this.live.has(key, holder)),
          only: this.judgesAll(key.project) ? undefined : new Set(holds.filter((h) => h.here).map((h) => h.holder)),
        }));
      } catch (err) {
        this.d.logger.error('lock/semaphore sweep failed', { [key.kind]: key.resource, error: String(err) });
      }
    }
    await this.recheckWaits();
    this.schedule();
  }

  // ---- views

  holderInfo(h: HoldRow): LockMethods.HolderInfo {
    return holderInfo(h, this.stalenessOf(h));
  }

  async waiterInfos(key: ResourceKey): Promise<LockMethods.WaiterInfo[]> {
    return waiterInfos(await this.d.shared.waiters(key));
  }
}
