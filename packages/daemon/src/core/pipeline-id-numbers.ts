/**
 * Numbering pipeline ids: the n-th pipeline of a base is `base`, `base-2`,
 * `base-3`... Pure: what is taken comes through an IdCounter (storage's
 * PipelineIdStore). The readable base itself is made in engine/pipeline-ids.ts.
 */

/**
 * The id of the n-th pipeline of a base: 1 is the base itself, then
 * `base-2`, `base-3`...
 */
export function idWithNumber(base: string, n: number): string {
  return n <= 1 ? base : `${base}-${n}`;
}

/**
 * Which number of `base` an id is (the inverse of idWithNumber), or null
 * when it is not one: `build-auth-2x`, `build-auth-2-3` and `build-auth-02`
 * are not numbers of `build-auth` (they belong to other bases).
 */
export function numberOfId(base: string, id: string): number | null {
  if (id === base) return 1;
  if (!id.startsWith(`${base}-`)) return null;
  const suffix = id.slice(base.length + 1);
  if (!/^[1-9][0-9]*$/.test(suffix)) return null;
  const n = Number(suffix);
  return n >= 2 && Number.isSafeInteger(n) ? n : null;
}

/** The highest number of `base` among ids (0 when none is one). */
export function highestNumber(base: string, ids: Iterable<string>): number {
  let max = 0;
  for (const id of ids) max = Math.max(max, numberOfId(base, id) ?? 0);
  return max;
}

/** What allocating an id needs from storage. */
export interface IdCounter {
  /** The last number handed out for the base, or null if none is recorded. */
  last(base: string): number | null;
  /** The highest number of the base among existing ids (one look at them; used once per base). */
  highestExisting(base: string): number;
  taken(id: string): boolean;
  /** Records n as the last number handed out for the base. */
  remember(base: string, n: number): void;
}

/**
 * The next free id of a base. A recorded counter makes this a constant
 * number of look-ups however many pipelines the base has; once counted, a
 * number is never handed out again. An id another base already took
 * (`build-auth-3`, the first pipeline of base `build-auth-3`) is skipped.
 */
export function allocateId(base: string, counter: IdCounter): string {
  const last = counter.last(base);
  // A base seen for the first time is the id itself when free, else one past its highest number.
  let n = last !== null ? last + 1 : counter.taken(base) ? counter.highestExisting(base) + 1 : 1;
  while (counter.taken(idWithNumber(base, n))) n++;
  counter.remember(base, n);
  return idWithNumber(base, n);
}
