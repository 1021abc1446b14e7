/**
 * What ojd and its spawner process say to each other: one JSON text per line
 * on the spawner's stdin (requests) and stdout (events). Ids are ojd's; the
 * events of one run arrive in order (started, output..., exit).
 */
import type { LaunchRequest, OutputStream } from './launch.js';

/**
 * `run` starts a child. `recorded` tells the spawner that ojd has handled the
 * child's `started` (recorded its process group where it needs to), so the
 * group is ojd's to end from then on; if ojd dies before that, the spawner
 * ends the group itself, as nobody else knows of it.
 */
export type SpawnerRequest =
  | { t: 'run'; id: number; r: LaunchRequest }
  | { t: 'recorded'; id: number }
  | { t: 'hold'; id: number }
  | { t: 'release'; id: number };
/*
 * `hold` stops reading a run's output pipes until `release` (ojd's consumer of
 * that output is behind): the child then blocks on its full pipe. Output
 * already on its way still arrives; it is at most a pipe's worth.
 */

export type SpawnerEvent =
  | { t: 'started'; id: number; pid: number; start: number | null }
  | { t: 'out'; id: number; s: OutputStream; d: string }
  | { t: 'exit'; id: number; code: number | null; signal: string | null; error?: string };

export function encodeLine(m: SpawnerRequest | SpawnerEvent): string {
  return `${JSON.stringify(m)}\n`;
}

/** A line's JSON object, or null when it is not JSON or not an object. */
function jsonObject(line: string): Record<string, unknown> | null {
  let m: unknown;
  try {
    m = JSON.parse(line);
  } catch {
    return null;
  }
  return typeof m === 'object' && m !== null ? (m as Record<string, unknown>) : null;
}

/** A parsed line, or null when it is not one of ours (never throws). */
export function decodeEvent(line: string): SpawnerEvent | null {
  const e = jsonObject(line);
  if (e === null) return null;
  if (typeof e.id !== 'number') return null;
  if (e.t === 'started' && typeof e.pid === 'number') {
    return { t: 'started', id: e.id, pid: e.pid, start: typeof e.start === 'number' ? e.start : null };
  }
  if (e.t === 'out' && (e.s === 'stdout' || e.s === 'stderr') && typeof e.d === 'string') return e as SpawnerEvent;
  if (e.t === 'exit') return e as SpawnerEvent;
  return null;
}

export function decodeRequest(line: string): SpawnerRequest | null {
  const q = jsonObject(line);
  if (q === null) return null;
  if ((q.t === 'recorded' || q.t === 'hold' || q.t === 'release') && typeof q.id === 'number') return { t: q.t, id: q.id };
  const r = q.r as Record<string, unknown> | undefined;
  if (q.t !== 'run' || typeof q.id !== 'number' || typeof r !== 'object' || r === null) return null;
  if (typeof r.script !== 'string' || typeof r.cwd !== 'string' || typeof r.env !== 'object' || r.env === null) return null;
  return q as SpawnerRequest;
}
