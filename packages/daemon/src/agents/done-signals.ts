/**
 * `oj done` from inside a session reaches the phase that supervises it. A
 * signal that arrives while nobody waits (between daemon restarts, say) is
 * kept until the phase asks.
 */

export type DoneSignal = { kind: 'done' } | { kind: 'error'; message: string } | { kind: 'restart' };

export class DoneSignals {
  private readonly waiting = new Map<string, (s: DoneSignal) => void>();
  private readonly pending = new Map<string, DoneSignal>();

  /** Delivers a signal for a session; true if a phase was waiting for it. */
  deliver(session: string, signal: DoneSignal): boolean {
    const w = this.waiting.get(session);
    if (w) {
      this.waiting.delete(session);
      w(signal);
      return true;
    }
    this.pending.set(session, signal);
    return false;
  }

  /** The signal kept for a session nobody waited for, if any (and forgets it). */
  take(session: string): DoneSignal | undefined {
    const early = this.pending.get(session);
    this.pending.delete(session);
    return early;
  }

  /** Resolves with the session's next signal. */
  next(session: string): { promise: Promise<DoneSignal>; cancel(): void } {
    const early = this.pending.get(session);
    if (early) {
      this.pending.delete(session);
      return { promise: Promise.resolve(early), cancel: () => {} };
    }
    let cancel = () => {};
    const promise = new Promise<DoneSignal>((resolve) => {
      this.waiting.set(session, resolve);
      cancel = () => {
        if (this.waiting.get(session) === resolve) this.waiting.delete(session);
      };
    });
    return { promise, cancel };
  }
}
