import type { NeedsYou, PipelineInfo, StatusOverview } from '@oj/protocol/client';
import { describe, expect, it } from 'vitest';
import { PIPELINE_COLUMNS } from './pipeline-list.js';
import { render, watchHeader } from './status-command.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');

function pipeline(over: Partial<PipelineInfo>): PipelineInfo {
  return {
    id: 'build-a',
    project: '/p',
    runbook: 'main',
    name: 'build-a',
    kind: 'build',
    status: 'escalated',
    phase: 'fix',
    waitingFor: { kind: 'human', name: 'escalation', detail: 'tests fail' },
    error: 'exit code 1',
    failureCount: 1,
    workspace: null,
    label: null,
    archived: false,
    vars: {},
    owner: null,
    createdAt: '2026-06-01T11:58:00Z',
    updatedAt: '2026-06-01T11:59:00Z',
    phaseStartedAt: '2026-06-01T11:59:00Z',
    finishedAt: null,
    phases: ['fix'],
    session: null,
    ...over,
  } as PipelineInfo;
}

function need(p: PipelineInfo, over: Partial<NeedsYou> = {}): NeedsYou {
  return {
    kind: 'escalated',
    pipeline: p.id,
    key: p.id,
    project: p.project,
    phase: p.phase,
    session: null,
    message: p.waitingFor?.detail ?? p.error ?? p.status,
    since: p.updatedAt,
    escalation: 7,
    ...over,
  };
}

function overview(over: Partial<StatusOverview>): StatusOverview {
  return {
    daemon: { version: '0.1.0', pid: 1, uptimeMs: 1000, socket: '/s' } as StatusOverview['daemon'],
    project: '/p',
    active: [],
    needsYou: [],
    recentFailures: [],
    sessions: [],
    sections: {},
    runbookErrors: [],
    ...over,
  };
}

describe('oj status', () => {
  it('shows an escalated pipeline once, naming its escalation; other escalations keep their section', () => {
    const p = pipeline({});
    const text = render(
      overview({
        active: [p],
        needsYou: [need(p)],
        sections: {
          escalations: {
            title: 'Open escalations (oj escalation review)',
            rows: [
              { id: 7, pipeline: 'build-a', phase: 'fix', reason: 'tests fail', since: '11:59:00' },
              { id: 8, pipeline: null, phase: null, reason: 'disk full', since: '11:59:30' },
            ],
          },
        },
      }),
      NOW,
    );
    expect(text.match(/tests fail/g)).toHaveLength(1);
    expect(text).toMatch(/Needs you \(1\)\n {2}PIPELINE +PHASE +WHY +SINCE +ESCALATION\n {2}build-a +fix +tests fail +1m ago +7\n/);
    expect(text).toContain('Open escalations (oj escalation review) (1)');
    expect(text).toContain('disk full');
  });

  it('an agent waiting at a prompt is listed as the prompt (a plan, a question, a permission), once', () => {
    const p = pipeline({ status: 'waiting' });
    const text = render(
      overview({
        active: [p],
        needsYou: [
          need(p, { kind: 'plan', session: 's1', message: 'plan: 1. add a test\n2. fix it', escalation: 9 }),
          need(pipeline({ id: 'build-b' }), { kind: 'question', session: 's2', message: 'question: Which db? [sqlite | postgres]', escalation: null }),
          need(pipeline({ id: 'build-c' }), { kind: 'permission', session: 's3', message: 'Claude needs your permission to use Bash', escalation: null }),
        ],
        sections: { escalations: { title: 'Open escalations (oj escalation review)', rows: [{ id: 9, pipeline: 'build-a', phase: 'fix', reason: 'x', since: '11:59:00' }] } },
      }),
      NOW,
    );
    expect(text).toMatch(/build-a +fix +agent asks: plan: 1\. add a test … +1m ago +9\n/);
    expect(text).toMatch(/build-b +fix +agent asks: question: Which db\? \[sqlite \| postgres\] +1m ago +-\n/);
    expect(text).toMatch(/build-c +fix +agent needs permission: Claude needs your permission to use Bash +1m ago +-\n/);
    expect(text).not.toContain('Open escalations');
  });

  it('lists pipelines in the columns of oj pipeline list', () => {
    const text = render(overview({ active: [pipeline({ status: 'running', waitingFor: null })] }), NOW);
    const header = text.split('\n').find((l) => l.trim().startsWith('ID'))!;
    expect(header.trim().split(/\s{2,}/)).toEqual(PIPELINE_COLUMNS.map((c) => c.toUpperCase()));
  });

  it('has no blank line after a table, nor two in a row, nor trailing spaces', () => {
    const p = pipeline({});
    const text = render(overview({ active: [p], needsYou: [need(p)], recentFailures: [pipeline({ id: 'x', status: 'failed', error: 'one\ntwo' })] }), NOW);
    expect(text).not.toMatch(/\n\n\n/);
    expect(text).not.toMatch(/[ \t]\n/);
    expect(text.endsWith('\n') && !text.endsWith('\n\n')).toBe(true);
    expect(text).toMatch(/x +fix +one … +/);
  });

  it('prints a runbook problem and its detail lines as one block', () => {
    const text = render(overview({ project: null, runbookErrors: ['project /p: .oj/runbooks/b.toml does not load', '  .oj/runbooks/b.toml:2: bad'] }), NOW);
    expect(text).toContain('runbook error: project /p: .oj/runbooks/b.toml does not load\n  .oj/runbooks/b.toml:2: bad\n');
  });

  it('--watch screens start with the interval and the local time', () => {
    expect(watchHeader(2000, new Date(2026, 5, 1, 9, 5, 7))).toBe('every 2s: oj status  2026-06-01 09:05:07  (Ctrl-C to quit)');
  });
});
