/**
 * What needs a human, for `oj status` (pure): agents waiting at a prompt (a
 * permission, a plan, a question; escalated or not yet), pipelines escalated
 * or waiting for a human. A pipeline whose agent waits at a prompt is listed
 * once, as the prompt, with the escalation that decides it.
 */
import type { NeedsYou, PipelineInfo, SessionInfo } from '@oj/protocol';

/** An open escalation: its id, its pipeline's stored key, its session. */
export interface OpenEscalation {
  id: number;
  pipelineKey: string | null;
  session: string | null;
}

export function needsYouOf(waiting: PipelineInfo[], active: PipelineInfo[], sessions: SessionInfo[], open: OpenEscalation[]): NeedsYou[] {
  const byHandle = new Map(active.map((p) => [`${p.project}\n${p.id}`, p]));
  const escalationOf = (key: string | null, session: string | null): number | null =>
    (session ? open.find((o) => o.session === session) : undefined)?.id ?? (key ? open.find((o) => o.pipelineKey === key)?.id : undefined) ?? null;
  const prompts = sessions
    .filter((s) => s.status === 'running' && s.state === 'needs_permission')
    .map((s): NeedsYou => {
      const p = s.pipeline === null ? undefined : byHandle.get(`${s.project}\n${s.pipeline}`);
      const key = p?.key ?? null;
      return {
        kind: s.prompt?.kind ?? 'permission',
        pipeline: s.pipeline,
        key,
        project: s.project,
        phase: s.phase,
        session: s.id,
        message: s.message ?? 'the agent needs your permission',
        since: s.stateSince ?? s.startedAt,
        escalation: escalationOf(key, s.id),
      };
    });
  const listed = new Set(prompts.map((n) => n.key).filter((k): k is string => k !== null));
  const pipelines = waiting
    .filter((p) => !listed.has(p.key))
    .map(
      (p): NeedsYou => ({
        kind: p.status === 'escalated' ? 'escalated' : 'waiting',
        pipeline: p.id,
        key: p.key,
        project: p.project,
        phase: p.phase,
        session: null,
        message: p.waitingFor?.detail ?? p.error ?? p.status,
        since: p.updatedAt,
        escalation: escalationOf(p.key, null),
      }),
    );
  return [...pipelines, ...prompts];
}
