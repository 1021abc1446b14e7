/**
 * Numbering pipeline ids: the n-th pipeline of a base in a project is
 * `base`, `base-2`, `base-3`..., and its stored key (unique across
 * projects). Pure: what is taken comes through an IdCounter (storage's
 * PipelineIdStore). The readable base itself and the project tag are made in
 * engine/pipeline-ids.ts.
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
 * The number of the next free id of a base (see allocateId). A recorded
 * counter makes this a constant number of look-ups however many pipelines
 * the base has; once counted, a number is never handed out again. An id
 * another base already took (`build-auth-3`, the first pipeline of base
 * `build-auth-3`) is skipped.
 */
export function allocateNumber(base: string, counter: IdCounter): number {
  const last = counter.last(base);
  // A base seen for the first time is the id itself when free, else one past its highest number.
  let n = last !== null ? last + 1 : counter.taken(base) ? counter.highestExisting(base) + 1 : 1;
  while (counter.taken(idWithNumber(base, n))) n++;
  counter.remember(base, n);
  return n;
}

/** The next free id of a base, from a counter of one project's ids. */
export function allocateId(base: string, counter: IdCounter): string {
  return idWithNumber(base, allocateNumber(base, counter));
}

/**
 * The stored key of a new pipeline whose id is number `n` of `base` in the
 * project tagged `tag`: the id itself when no pipeline of any project ever
 * had it as its key (`keys` counts keys across projects, like ids before
 * they were per project), else `<id>.<tag>` (a `-2`... suffix in the
 * unlikely case that is taken too). Keys are never handed out twice.
 */
export function allocateKey(base: string, n: number, tag: string, keys: IdCounter): string {
  const id = idWithNumber(base, n);
  const last = keys.last(base) ?? keys.highestExisting(base);
  if (n > last && !keys.taken(id)) {
    keys.remember(base, n);
    return id;
  }
  let key = `${id}.${tag}`;
  for (let i = 2; keys.taken(key); i++) key = `${id}.${tag}-${i}`;
  return key;
}

