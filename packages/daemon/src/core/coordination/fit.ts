/**
 * Who may be granted now: strict first come, first served. The head of the
 * line blocks those behind it, so a heavy waiter is never starved by light
 * ones. A lock is a resource of max 1.
 */

export interface Weighted {
  holder: string;
  weight: number;
}

/** Units in use. */
export function used(holds: readonly Weighted[]): number {
  return holds.reduce((n, h) => n + h.weight, 0);
}

/** Waiters (in arrival order) that fit now, given what is held and `max`. */
export function grantable<W extends Weighted>(max: number, holds: readonly Weighted[], waiters: readonly W[]): W[] {
  let inUse = used(holds);
  const out: W[] = [];
  for (const w of waiters) {
    if (inUse + w.weight > max) break;
    inUse += w.weight;
    out.push(w);
  }
  return out;
}

/** Whether a new request may be granted at once: nobody waits ahead of it and it fits. */
export function fitsNow(max: number, holds: readonly Weighted[], waitersAhead: number, weight: number): boolean {
  if (waitersAhead > 0) return false;
  return used(holds) + weight <= max;
}
