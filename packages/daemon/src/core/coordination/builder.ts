/**
 * The working copy a grant transition builds on: the holds and waiters as
 * they become, the events to record and the effects to run. Releasing and
 * handing over to the next waiters live here, since every transition that
 * frees room does both.
 */
import type { JsonValue } from '@oj/protocol';
import { grantable } from './fit.js';
import type { GrantEffect, GrantRecord, GrantSettings, GrantState, GrantTransition, Hold, HoldChange, Request, Waiter } from './types.js';

export class GrantBuilder {
  holds: Hold[];
  waiters: Waiter[];
  private readonly events: GrantRecord[] = [];
  private readonly effects: GrantEffect[] = [];

  constructor(
    state: GrantState,
    readonly s: GrantSettings,
    readonly now: number,
  ) {
    this.holds = [...state.holds];
    this.waiters = [...state.waiters];
  }

  /** `lock main`, `semaphore agents`: how messages name the resource. */
  get what(): string {
    return `${this.s.kind} ${this.s.name}`;
  }

  hold(holder: string): Hold | undefined {
    return this.holds.find((h) => h.holder === holder);
  }

  waiter(holder: string): Waiter | undefined {
    return this.waiters.find((w) => w.holder === holder);
  }

  emit(name: string, subject: string, data: Record<string, JsonValue>): void {
    this.events.push({ name, subject, data });
  }

  /** `lock:acquired`, `semaphore:left`... */
  emitOwn(what: string, subject: string, data: Record<string, JsonValue>): void {
    this.emit(`${this.s.kind}:${what}`, subject, data);
  }

  effect(e: GrantEffect): void {
    this.effects.push(e);
  }

  update(holder: string, patch: HoldChange): void {
    this.holds = this.holds.map((h) => (h.holder === holder ? { ...h, ...patch } : h));
  }

  /** A heartbeat; `forget` also clears an earlier staleness. */
  beat(holder: string, forget: boolean): void {
    this.update(holder, forget ? { heartbeatAt: this.now, staleAt: null, staleReason: null } : { heartbeatAt: this.now });
  }

  /** A new hold, with the heartbeat window and timeout in force now. */
  addHold(r: Request): void {
    this.holds.push({
      holder: r.holder,
      holderKind: r.holderKind,
      weight: r.weight,
      phase: r.phase,
      run: r.run,
      acquiredAt: this.now,
      heartbeatAt: this.now,
      heartbeatMs: this.s.heartbeatMs,
      timeoutMs: this.s.timeoutMs,
      staleAt: null,
      staleReason: null,
    });
  }

  removeWaiter(holder: string): void {
    this.waiters = this.waiters.filter((w) => w.holder !== holder);
  }

  /** A waiter gets the resource; whoever waits for that is woken after the commit. */
  grant(w: Waiter): void {
    this.removeWaiter(w.holder);
    this.addHold(w);
    this.emitOwn('acquired', w.holder, { holder: w.holder, weight: w.weight, waitedMs: this.now - w.since });
    this.effect({ type: 'wake', holder: w.holder });
  }

  /** Grants the waiters at the head of the line that fit now. */
  promote(): void {
    for (const w of grantable(this.s.max, this.holds, this.waiters)) this.grant(w);
  }

  /** Frees `holder`'s hold, or its place in line, and hands the room to the next waiters. True when it held. */
  release(holder: string, reason: string | null): boolean {
    const why: Record<string, string> = reason === null ? {} : { reason };
    if (this.hold(holder)) {
      this.holds = this.holds.filter((h) => h.holder !== holder);
      this.emitOwn('released', holder, { holder, ...why });
      this.promote();
      return true;
    }
    if (this.waiter(holder)) {
      this.removeWaiter(holder);
      this.emitOwn('left', holder, { holder, ...why });
      // The head leaving may let those behind it in.
      this.promote();
    }
    return false;
  }

  result<R>(reply: R): GrantTransition<R> {
    return { state: { holds: this.holds, waiters: this.waiters }, events: this.events, effects: this.effects, reply };
  }
}
