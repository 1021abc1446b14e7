/**
 * A cron's jitter (pure): a fixed offset in [0, jitter) added to every slot,
 * taken from a hash of the cron's project and name. Ten projects' nightly
 * janitors at 03:00 with `jitter = "5m"` start at ten different times, and
 * each always at the same one, so the next run shown is the real one.
 */

/** FNV-1a (32 bits) of a string's UTF-16 code units. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The offset of the cron identified by `seed` for a jitter of `jitterMs`:
 * whole seconds when the jitter is at least a second, 0 for no jitter.
 */
export function jitterOffset(seed: string, jitterMs: number): number {
  if (!(jitterMs > 0)) return 0;
  const fraction = fnv1a(seed) / 2 ** 32;
  if (jitterMs < 1000) return Math.floor(fraction * jitterMs);
  return Math.floor((fraction * jitterMs) / 1000) * 1000;
}
