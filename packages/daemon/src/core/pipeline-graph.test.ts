import { describe, expect, it } from 'vitest';
import { phaseGraph } from './pipeline-graph.js';

describe('phaseGraph', () => {
  it('success leads to the explicit next, else the following phase, else the end; failures to a phase or a chain', () => {
    const graph = phaseGraph({
      phases: [
        { name: 'plan', agent: 'p.planner', pre: [], post: [], onFail: { kind: 'chain', steps: [{ action: 'restart', max: 2 }, { action: 'escalate' }] } },
        { name: 'build', run: 'make', pre: [], post: [], next: 'ship', onFail: { kind: 'phase', phase: 'fix' } },
        { name: 'fix', run: 'make fix', pre: [], post: [], next: 'build' },
        { name: 'ship', strategy: 's.merge', pre: [], post: [], next: null },
        { name: 'after', pre: [], post: [] },
      ],
    });
    expect(graph).toEqual([
      { name: 'plan', work: 'agent', next: 'build', onFail: { chain: ['restart:2', 'escalate'] } },
      { name: 'build', work: 'shell', next: 'ship', onFail: { phase: 'fix' } },
      { name: 'fix', work: 'shell', next: 'build', onFail: null },
      { name: 'ship', work: 'strategy', next: null, onFail: null },
      { name: 'after', work: 'none', next: null, onFail: null },
    ]);
  });
});
