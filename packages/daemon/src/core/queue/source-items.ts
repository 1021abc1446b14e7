/** Parsing what a queue's `source` command prints: a JSON array of objects, each with an `id`. */

export interface SourceItem {
  id: string;
  data: Record<string, unknown>;
}

export type SourceParse = { ok: true; items: SourceItem[]; skipped: string[] } | { ok: false; message: string };

/**
 * A JSON array of objects (or one JSON object per line). Objects without a
 * string or number `id` are skipped and reported; an id listed twice counts
 * once (the first).
 */
export function parseSourceOutput(stdout: string): SourceParse {
  const text = stdout.trim();
  if (text === '') return { ok: true, items: [], skipped: [] };
  let values: unknown[];
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) values = parsed;
    else if (isObject(parsed)) values = [parsed];
    else return { ok: false, message: `the source printed JSON ${typeOf(parsed)}, not an array of objects` };
  } catch {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    try {
      values = lines.map((l) => JSON.parse(l) as unknown);
    } catch {
      return { ok: false, message: `the source did not print JSON: ${JSON.stringify(text.slice(0, 80))}` };
    }
  }
  const items: SourceItem[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (!isObject(v)) {
      skipped.push(`element ${i} is ${typeOf(v)}, not an object`);
      return;
    }
    const id = v.id;
    if (typeof id !== 'string' && typeof id !== 'number') {
      skipped.push(`element ${i} has no "id" (a string or number)`);
      return;
    }
    const key = String(id);
    if (key === '' || seen.has(key)) return;
    seen.add(key);
    items.push({ id: key, data: v });
  });
  return { ok: true, items, skipped };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
