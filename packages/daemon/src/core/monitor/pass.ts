/**
 * What one monitor pass does with each item (pure): the source's items in
 * the order it listed them, matched or not by the condition, against the
 * items the monitor holds state for.
 *
 * - a matching item is stepped with `match` (a new item starts fresh);
 * - a listed item that does not match, and that has state, with `clear` (listed);
 * - an item with state that the source no longer lists, with `clear` (unlisted);
 * - a listed item that does not match and has no state is left alone.
 */

export type ItemVerdict = { key: string; kind: 'match' } | { key: string; kind: 'clear'; listed: boolean };

export function passVerdicts(listed: ReadonlyArray<readonly [key: string, matched: boolean]>, known: Iterable<string>): ItemVerdict[] {
  const held = new Set(known);
  const seen = new Set<string>();
  const out: ItemVerdict[] = [];
  for (const [key, matched] of listed) {
    if (seen.has(key)) continue;
    seen.add(key);
    if (matched) out.push({ key, kind: 'match' });
    else if (held.has(key)) out.push({ key, kind: 'clear', listed: true });
  }
  for (const key of held) if (!seen.has(key)) out.push({ key, kind: 'clear', listed: false });
  return out;
}
