/**
 * Agents' states over a window (pure), from the events that record them:
 * `session:started`, `session:state` (with the state it left, `from`) and
 * `session:exit`. A session already in a state when the window opens starts
 * in the `from` of its first change, or in the state it reports now.
 */
import type { EventRecord, SessionInfo } from '@oj/protocol/client';
import type { Lane, Segment } from './lanes.js';

export const AGENT_EVENT_PATTERN = 'session:*';

interface Open {
  state: string;
  since: number;
}

export function agentLanes(events: EventRecord[], sessions: SessionInfo[], now: number, windowMs: number, maxLanes = 12): Lane[] {
  const from = now - windowMs;
  const lanes = new Map<string, { label: string; segments: Segment[]; open: Open | null; last: number }>();
  const laneOf = (id: string, label?: string) => {
    let l = lanes.get(id);
    if (!l) {
      l = { label: label ?? id, segments: [], open: null, last: 0 };
      lanes.set(id, l);
    }
    return l;
  };
  const close = (l: NonNullable<ReturnType<typeof lanes.get>>, at: number) => {
    if (l.open && at > l.open.since) l.segments.push(segment(l.open.state, l.open.since, at));
    l.open = null;
  };
  for (const e of [...events].sort((a, b) => a.id - b.id)) {
    const id = typeof e.data.session === 'string' ? e.data.session : null;
    const t = Date.parse(e.time);
    if (!id || !(t >= from)) continue;
    const l = laneOf(id);
    l.last = t;
    if (e.name === 'session:started') {
      close(l, t);
      l.open = { state: 'starting', since: t };
    } else if (e.name === 'session:state' && typeof e.data.state === 'string') {
      if (!l.open && l.segments.length === 0 && typeof e.data.from === 'string') l.open = { state: e.data.from, since: from };
      close(l, t);
      l.open = { state: e.data.state, since: t };
    } else if (e.name === 'session:exit') {
      if (!l.open && l.segments.length === 0) l.open = { state: 'working', since: from };
      close(l, t);
    }
  }
  for (const s of sessions) {
    const l = laneOf(s.id, s.phase ? `${s.id} (${s.phase})` : s.id);
    l.label = s.phase ? `${s.pipeline ?? s.id} ${s.phase}` : s.id;
    if (s.status === 'running' && !l.open && l.segments.length === 0) {
      l.open = { state: s.state ?? 'working', since: Math.max(from, Date.parse(s.stateSince ?? s.startedAt)) };
    }
    l.last = Math.max(l.last, Date.parse(s.startedAt));
  }
  const out = [...lanes.values()].map((l) => {
    if (l.open) close(l, now);
    return l;
  });
  return out
    .filter((l) => l.segments.length > 0)
    .sort((a, b) => b.last - a.last)
    .slice(0, maxLanes)
    .map((l) => ({ label: l.label, segments: l.segments }));
}

function segment(state: string, start: number, end: number): Segment {
  return { start, end, cls: `a-${state.replace(/[^a-z_]/g, '')}`, title: `${state}: ${new Date(start).toLocaleTimeString()} – ${new Date(end).toLocaleTimeString()}` };
}
