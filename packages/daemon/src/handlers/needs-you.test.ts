import type { PipelineInfo, SessionInfo } from '@oj/protocol';
import { describe, expect, it } from 'vitest';
import { needsYouOf } from './needs-you.js';

const pipeline = (id: string, over: Partial<PipelineInfo> = {}): PipelineInfo =>
  ({
    id,
    key: `${id}.k`,
    project: '/p',
    status: 'running',
    phase: 'work',
    waitingFor: null,
    error: null,
    updatedAt: '2026-06-01T11:59:00Z',
    ...over,
  }) as PipelineInfo;

const session = (id: string, pipelineId: string | null, over: Partial<SessionInfo> = {}): SessionInfo =>
  ({
    id,
    project: '/p',
    pipeline: pipelineId,
    phase: 'work',
    status: 'running',
    startedAt: '2026-06-01T11:00:00Z',
    state: 'working',
    stateSince: '2026-06-01T11:30:00Z',
    message: null,
    prompt: null,
    ...over,
  }) as SessionInfo;

describe('needsYouOf', () => {
  it('an agent at a prompt is one item (session, pipeline, kind, message, escalation); its escalated pipeline is not listed again', () => {
    const a = pipeline('a', { status: 'escalated', waitingFor: { kind: 'human', name: 'escalation', detail: 'agent claude asks: plan: x' } });
    const b = pipeline('b', { status: 'escalated', waitingFor: { kind: 'human', name: 'escalation', detail: 'tests fail' } });
    const c = pipeline('c');
    const sessions = [
      session('sa', 'a', { state: 'needs_permission', message: 'plan: x', prompt: { kind: 'plan', text: 'x', choices: [] } }),
      session('sc', 'c', { state: 'needs_permission', message: 'Claude needs your permission to use Bash', prompt: null }),
      session('sd', null, { state: 'needs_permission', message: 'pick one', status: 'exited' }),
      session('se', 'c', { state: 'working' }),
    ];
    const items = needsYouOf([a, b], [a, b, c], sessions, [
      { id: 4, pipelineKey: 'a.k', session: 'sa' },
      { id: 5, pipelineKey: 'b.k', session: null },
    ]);
    expect(items).toEqual([
      { kind: 'escalated', pipeline: 'b', key: 'b.k', project: '/p', phase: 'work', session: null, message: 'tests fail', since: '2026-06-01T11:59:00Z', escalation: 5 },
      { kind: 'plan', pipeline: 'a', key: 'a.k', project: '/p', phase: 'work', session: 'sa', message: 'plan: x', since: '2026-06-01T11:30:00Z', escalation: 4 },
      {
        kind: 'permission',
        pipeline: 'c',
        key: 'c.k',
        project: '/p',
        phase: 'work',
        session: 'sc',
        message: 'Claude needs your permission to use Bash',
        since: '2026-06-01T11:30:00Z',
        escalation: null,
      },
    ]);
  });
});
