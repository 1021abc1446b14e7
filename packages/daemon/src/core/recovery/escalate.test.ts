import { describe, expect, it } from 'vitest';
import { escalateData } from './escalate.js';

describe('the escalate event data', () => {
  it('always has source, reason and error (the reason when no other failure is given)', () => {
    expect(escalateData({ source: 'queue', reason: 'item 7: retries exhausted' })).toEqual({
      source: 'queue',
      reason: 'item 7: retries exhausted',
      error: 'item 7: retries exhausted',
    });
  });

  it('names the pipeline, phase and session when there are some; empty ones are left out', () => {
    expect(escalateData({ source: 'agent', reason: 'idle for 300s', pipeline: 'build-a', phase: 'work', session: 's1', error: 'x' })).toEqual({
      source: 'agent',
      reason: 'idle for 300s',
      error: 'x',
      pipeline: 'build-a',
      phase: 'work',
      session: 's1',
    });
    expect(escalateData({ source: 'pipeline', reason: 'r', pipeline: null, phase: '', session: null })).toEqual({ source: 'pipeline', reason: 'r', error: 'r' });
  });

  it("keeps the context's own fields, which never override the common ones", () => {
    const data = escalateData({ source: 'guard', reason: 'r', phase: 'p', detail: { guard: 'ready', source: 'spoofed', phase: 'other' } });
    expect(data).toEqual({ guard: 'ready', source: 'guard', reason: 'r', error: 'r', phase: 'p' });
  });
});
