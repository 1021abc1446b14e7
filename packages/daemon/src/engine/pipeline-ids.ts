/**
 * Readable pipeline ids: `build-auth`, then `build-auth-2`, `build-auth-3`...
 * when taken. An input holding a known secret value (log/redact.ts) never
 * shows in the id, nor so in the log directory, workspace and branch named
 * after it: a hash of the input takes its place (`sec-3f9a1c2b`), the same
 * for the same input.
 */
import { createHash } from 'node:crypto';
import { containsSecret } from '../log/redact.js';

const MAX_BASE = 48;
const HASH_LENGTH = 8;

export function baseId(
  pipelineName: string,
  inputs: Record<string, unknown>,
  inputNames: string[],
  isSecret: (text: string) => boolean = containsSecret,
): string {
  const first = inputNames.map((n) => inputs[n]).find((v) => typeof v === 'string' || typeof v === 'number');
  const itemId = inputNames
    .map((n) => inputs[n])
    .map((v) => (v && typeof v === 'object' && 'id' in v ? (v as { id: unknown }).id : undefined))
    .find((v) => typeof v === 'string' || typeof v === 'number');
  const suffix = first ?? itemId;
  if (suffix === undefined) return slug(pipelineName, MAX_BASE) || 'pipeline';
  const raw = `${pipelineName}-${String(suffix)}`;
  const readable = slug(raw, MAX_BASE);
  if (!isSecret(raw) && !isSecret(readable)) return readable || 'pipeline';
  const name = slug(pipelineName, MAX_BASE - HASH_LENGTH - 1);
  return `${name ? `${name}-` : ''}${inputHash(String(suffix))}`;
}

/** A short stable stand-in for an input that may not be shown. */
export function inputHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, HASH_LENGTH);
}

function slug(text: string, max: number): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '');
}

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
