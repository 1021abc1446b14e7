/**
 * What a monitor's `source` prints, as items: a JSON array of objects (or
 * one JSON object per line), else one item per line (`{line, path, name,
 * id}`). Each item has a key (its chain is remembered under it) and the
 * targets the built-in actions act on, read from its fields: the lists
 * `oj pipeline|session|lock|semaphore|queue|worker|workspace list --json`
 * print are recognised by their shape, anything else by plain fields
 * (`pipeline`, `session`, `lock`, ...).
 */
import { basename } from 'node:path';

export type Item = Record<string, unknown>;

export function parseSourceOutput(stdout: string): Item[] {
  const text = stdout.trim();
  if (text === '') return [];
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed.map(asItem);
    } catch {
      // not JSON after all: lines
    }
  }
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  if (text.startsWith('{')) {
    const objects = lines.map(tryObject);
    if (objects.every((o): o is Item => o !== null)) return objects;
  }
  return lines.map(lineItem);
}

function tryObject(line: string): Item | null {
  try {
    const v: unknown = JSON.parse(line);
    return isObject(v) ? v : null;
  } catch {
    return null;
  }
}

function asItem(v: unknown): Item {
  if (isObject(v)) return v;
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return { ...lineItem(text), value: v };
}

export function lineItem(line: string): Item {
  const trimmed = line.trim();
  return { line: trimmed, path: trimmed, name: basename(trimmed) || trimmed, id: trimmed };
}

function isObject(v: unknown): v is Item {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const text = (v: unknown): string | null =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;

/** The item's identity for its chain: `id`, else `name`, else `path`, else `line`, else its JSON text. */
export function itemKey(item: Item): string {
  return text(item.id) ?? text(item.name) ?? text(item.path) ?? text(item.line) ?? JSON.stringify(item);
}

export interface ItemTargets {
  pipeline: string | null;
  session: string | null;
  phase: string | null;
  lock: string | null;
  semaphore: string | null;
  /** Semaphore holders a release/reclaim applies to. */
  holders: { holder: string; stale: boolean }[];
  queueItem: { queue: string; id: string } | null;
  worker: string | null;
  workspace: string | null;
}

const has = (item: Item, ...keys: string[]) => keys.every((k) => Object.hasOwn(item, k));

export type ItemShape = 'pipeline' | 'session' | 'lock' | 'semaphore' | 'queue_item' | 'worker' | 'workspace' | 'other';

/** Which `oj ... list --json` printed this item, if any. */
export function itemShape(item: Item): ItemShape {
  if (has(item, 'failureCount', 'phases', 'status')) return 'pipeline';
  if (has(item, 'agent', 'restarts', 'dir', 'status')) return 'session';
  if (has(item, 'max', 'holders', 'used')) return 'semaphore';
  if (has(item, 'held', 'waiters', 'heartbeatMs')) return 'lock';
  if (has(item, 'queue', 'origin', 'attempts', 'status')) return 'queue_item';
  if (has(item, 'handler', 'concurrency', 'queue')) return 'worker';
  if (has(item, 'path', 'managed', 'pipelines')) return 'workspace';
  return 'other';
}

export function itemTargets(item: Item): ItemTargets {
  const t: ItemTargets = {
    pipeline: null,
    session: null,
    phase: text(item.phase),
    lock: null,
    semaphore: null,
    holders: [],
    queueItem: null,
    worker: null,
    workspace: null,
  };
  const id = text(item.id);
  const holderOf = (h: unknown): { holder: string; stale: boolean; pipeline: boolean } | null => {
    if (!isObject(h)) return null;
    const holder = text(h.holder);
    return holder ? { holder, stale: h.stale === true, pipeline: h.kind === 'pipeline' } : null;
  };
  switch (itemShape(item)) {
    case 'pipeline':
      t.pipeline = id;
      t.session = text(item.session);
      break;
    case 'session':
      t.session = id;
      t.pipeline = text(item.pipeline);
      break;
    case 'lock': {
      t.lock = id ?? text(item.name);
      const h = holderOf(item.holder);
      if (h?.pipeline) t.pipeline = h.holder;
      break;
    }
    case 'semaphore':
      t.semaphore = id ?? text(item.name);
      t.holders = (Array.isArray(item.holders) ? item.holders : []).map(holderOf).filter((h) => h !== null);
      break;
    case 'queue_item': {
      const queue = text(item.queue);
      if (queue && id) t.queueItem = { queue, id };
      if (item.status === 'taken') t.pipeline = text(item.takenBy);
      break;
    }
    case 'worker':
      t.worker = text(item.name);
      break;
    case 'workspace':
      t.workspace = text(item.name);
      break;
    case 'other': {
      // Plain fields, for sources of one's own: {"pipeline": ..., "session": ...}.
      const queue = text(item.queue);
      const qid = text(item.item) ?? id;
      if (queue && qid) t.queueItem = { queue, id: qid };
      t.lock = text(item.lock);
      t.semaphore = text(item.semaphore);
      t.worker = text(item.worker);
      t.workspace = typeof item.workspace === 'string' && !item.workspace.includes('/') ? item.workspace : null;
      const h = text(item.holder);
      if (h) t.holders = [{ holder: h, stale: true }];
      break;
    }
  }
  t.pipeline ??= text(item.pipeline);
  t.session ??= text(item.session);
  return t;
}

/** Fields of an item that name files or directories (what `[safety] protected` is checked against). */
export const PATH_FIELDS = ['path', 'workspace', 'dir', 'file', 'line'] as const;

export function itemPaths(item: Item): string[] {
  const out: string[] = [];
  for (const f of PATH_FIELDS) {
    const v = item[f];
    if (typeof v === 'string' && v.trim() !== '') out.push(v.trim());
  }
  return out;
}
