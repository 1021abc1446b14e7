import type { EventRecord, PhaseGraphNode, SessionInfo } from '@oj/protocol';
import { describe, expect, it } from 'vitest';
import { html } from '../html.js';
import { agentLanes } from './agent-lanes.js';
import { phaseGraphSvg } from './phase-graph.js';
import { queueHistory } from './queue-history.js';

const T0 = Date.parse('2026-01-01T12:00:00Z');
const MIN = 60_000;
let nextId = 1;
const ev = (name: string, atMin: number, data: Record<string, string | number>): EventRecord => ({
  id: nextId++,
  name,
  subject: null,
  project: '/p',
  data,
  time: new Date(T0 + atMin * MIN).toISOString(),
});

describe('html', () => {
  it('escapes every value that is not markup made here', () => {
    const evil = '<script>alert("x")</script>';
    expect(html`<p title="${evil}">${evil}</p>`.text).toBe('<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>');
    expect(html`<ul>${['a', html`<li>b</li>`, null, false]}</ul>`.text).toBe('<ul>a<li>b</li></ul>');
  });
});

describe('queueHistory', () => {
  it('walks the open count back from now, minute by minute, and counts what was done', () => {
    // 60 minutes ending at T0+60: 3 added at 10, one taken and completed at 20, one failed at 30 then dead at 31.
    const events = [
      ev('queue:items:added', 10.5, { queue: 'q', count: 3 }),
      ev('queue:item:taken', 20.1, { queue: 'q', id: '1' }),
      ev('queue:item:completed', 20.5, { queue: 'q', id: '1' }),
      ev('queue:item:failed', 30.5, { queue: 'q', id: '2' }),
      ev('queue:item:dead', 31.5, { queue: 'q', id: '2' }),
      ev('queue:item:retried', 40.5, { queue: 'q', id: '2' }),
      ev('queue:item:added', 45.5, { queue: 'other', id: 'x' }),
    ];
    const b = queueHistory(events, 'q', 2, T0 + 60 * MIN);
    expect(b).toHaveLength(60);
    expect(b[9]!.open).toBe(0);
    expect(b[10]!.open).toBe(3);
    expect(b[20]!.open).toBe(2);
    expect(b[20]!.completed).toBe(1);
    expect(b[30]!.failed).toBe(1);
    expect(b[31]!.open).toBe(1);
    expect(b[40]!.open).toBe(2);
    expect(b[59]!.open).toBe(2);
  });
});

describe('agentLanes', () => {
  const session = (id: string, state: SessionInfo['state'], startedMin: number): SessionInfo =>
    ({ id, project: '/p', pipeline: `p-${id}`, phase: 'work', agent: 'a', status: 'running', state, stateSince: null, startedAt: new Date(T0 + startedMin * MIN).toISOString() }) as SessionInfo;

  it('turns state changes into segments; a session already in a state when the window opens starts in the state it left', () => {
    const events = [
      ev('session:state', 5, { session: 's1', state: 'needs_permission', from: 'working' }),
      ev('session:state', 10, { session: 's1', state: 'working', from: 'needs_permission' }),
      ev('session:started', 20, { session: 's2' }),
      ev('session:state', 21, { session: 's2', state: 'working' }),
      ev('session:exit', 30, { session: 's2', exitCode: 0 }),
    ];
    const lanes = agentLanes(events, [session('s1', 'working', -100)], T0 + 60 * MIN, 60 * MIN + 1);
    const byLabel = Object.fromEntries(lanes.map((l) => [l.label, l.segments.map((s) => [s.cls, (s.start - T0) / MIN, (s.end - T0) / MIN])]));
    expect(byLabel['p-s1 work']).toEqual([
      ['a-working', expect.closeTo(0, 1), 5],
      ['a-needs_permission', 5, 10],
      ['a-working', 10, 60],
    ]);
    expect(byLabel.s2).toEqual([
      ['a-starting', 20, 21],
      ['a-working', 21, 30],
    ]);
  });
});

describe('phaseGraphSvg', () => {
  const graph: PhaseGraphNode[] = [
    { name: 'build', work: 'shell', next: 'test', onFail: { phase: 'fix' } },
    { name: 'test', work: 'agent', next: null, onFail: { chain: ['restart:2', 'escalate'] } },
    { name: 'fix', work: 'shell', next: 'build', onFail: null },
  ];

  it('marks the current phase, colours phases by their last run and spells the edges out', () => {
    const svg = phaseGraphSvg(graph, 'test', { build: 'done', test: 'running' }, false).text;
    expect(svg.match(/<g class="[^"]*g-current[^"]*">.*?<\/g>/)?.[0]).toContain('>test');
    expect(svg).toContain('class="g-box g-done"');
    expect(svg).toMatch(/<desc id="g-desc">[^<]*build → test; build fails → fix; test → done; test fails → restart:2, escalate; fix → build\. Now at test\.<\/desc>/);
    expect(svg.match(/class="g-fail"/g)).toHaveLength(1);
  });

  it('escapes phase names', () => {
    expect(phaseGraphSvg([{ name: '<b>', work: 'none', next: null, onFail: null }], null, {}, true).text).not.toContain('<b>');
  });
});
