/**
 * Durations as runbooks write them: one or more `<number><unit>` parts, units
 * in descending order, each at most once: `500ms`, `30s`, `5m`, `4h`, `7d`,
 * `2w`, `1h30m`, `1.5h`. No spaces, no sign, no bare numbers.
 *
 * parse-duration is not used: it accepts "5 minutes", "1 hr" and negative
 * values, and runbooks should have one spelling.
 */

/** A parsed duration: the text as written and its length in milliseconds. */
export interface Duration {
  text: string;
  ms: number;
}

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: readonly Unit[] = ['w', 'd', 'h', 'm', 's', 'ms'];
const PART = /(\d+(?:\.\d+)?)(ms|w|d|h|m|s)/y;

export const DURATION_HINT = 'durations look like 500ms, 30s, 5m, 4h, 7d or 1h30m';

export type DurationResult = { ok: true; duration: Duration } | { ok: false; message: string; hint: string };

export function parseDuration(text: string): DurationResult {
  const fail = (message: string, hint = DURATION_HINT): DurationResult => ({ ok: false, message, hint });
  if (text.trim() === '') return fail('empty duration');
  if (/^\d+(\.\d+)?$/.test(text)) return fail(`"${text}" has no unit`, `add a unit, e.g. "${text}s" or "${text}m"`);
  if (text.startsWith('-')) return fail(`"${text}" is negative`);
  let total = 0;
  let position = 0;
  let lastRank = -1;
  while (position < text.length) {
    PART.lastIndex = position;
    const match = PART.exec(text);
    if (match === null) return fail(`"${text}" is not a duration`);
    const unit = match[2] as Unit;
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank <= lastRank) return fail(`"${text}": units must appear once each, largest first`);
    lastRank = rank;
    total += Number(match[1]) * UNIT_MS[unit];
    position = PART.lastIndex;
  }
  if (!Number.isSafeInteger(Math.round(total))) return fail(`"${text}" is too long`);
  return { ok: true, duration: { text, ms: Math.round(total) } };
}

/** Parse or throw; for literals in code and tests. */
export function duration(text: string): Duration {
  const result = parseDuration(text);
  if (!result.ok) throw new Error(`${result.message} (${result.hint})`);
  return result.duration;
}

/** Milliseconds as the shortest runbook duration text: 5400000 -> "1h30m". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let text = '';
  for (const unit of UNIT_ORDER) {
    const size = UNIT_MS[unit];
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text;
}
