import { describe, expect, it } from 'vitest';
import { newPipelineState, type PipelineState, type PipelineStatus } from './pipeline-state.js';
import { archive, checkpointEvent, pruneStatuses, pruned, relabel } from './pipeline-upkeep.js';

const state = (status: PipelineStatus, at: { updatedAt?: number; finishedAt?: number | null } = {}): PipelineState => ({
  ...newPipelineState('build-x.web-1', 0, 'build-x'),
  status,
  updatedAt: at.updatedAt ?? 0,
  finishedAt: at.finishedAt ?? null,
});

describe('relabel', () => {
  it('sets the label and tells the previous one', () => {
    expect(relabel('build-x', null, 'urgent')).toEqual({
      set: { label: 'urgent' },
      events: [{ name: 'pipeline:labelled', data: { pipeline: 'build-x', label: 'urgent', previous: null } }],
    });
    expect(relabel('build-x', 'urgent', 'later')?.events[0]?.data).toEqual({ pipeline: 'build-x', label: 'later', previous: 'urgent' });
  });
  it('the same label again is no change', () => {
    expect(relabel('build-x', 'urgent', 'urgent')).toBeNull();
  });
});

describe('archive', () => {
  it('archives a finished pipeline, with its status in the event', () => {
    for (const s of ['done', 'failed', 'cancelled'] as const) {
      expect(archive(state(s), false)).toEqual({ ok: true, change: { set: { archived: true }, events: [{ name: 'pipeline:archived', data: { pipeline: 'build-x', status: s } }] } });
    }
  });
  it('an archived pipeline stays so: no change', () => {
    expect(archive(state('done'), true)).toEqual({ ok: true, change: null });
  });
  it('refuses a pipeline under way, naming it by its id in its project', () => {
    for (const s of ['pending', 'running', 'waiting', 'escalated'] as const) {
      const a = archive(state(s), false);
      expect(a.ok).toBe(false);
      if (!a.ok) {
        expect(a.message).toBe(`pipeline build-x is ${s}; only finished pipelines are archived`);
        expect(a.hint).toBe('oj pipeline cancel build-x first');
      }
    }
  });
});

describe('prune', () => {
  it('removes done and cancelled pipelines; failed ones only when asked', () => {
    expect(pruneStatuses({ failed: false })).toEqual(['done', 'cancelled']);
    expect(pruneStatuses({ failed: true })).toEqual(['done', 'cancelled', 'failed']);
    expect(pruned(state('done'), { failed: false }, 10)).toEqual({ name: 'pipeline:pruned', data: { pipeline: 'build-x', status: 'done' } });
    expect(pruned(state('failed'), { failed: false }, 10)).toBeNull();
    expect(pruned(state('failed'), { failed: true }, 10)?.data).toEqual({ pipeline: 'build-x', status: 'failed' });
  });
  it('never removes a pipeline under way', () => {
    for (const s of ['pending', 'running', 'waiting', 'escalated'] as const) expect(pruned(state(s), { failed: true }, 10)).toBeNull();
  });
  it('with an age, only pipelines finished at least that long ago (the last update when no finish is known)', () => {
    const rule = { failed: false, olderThanMs: 100 };
    expect(pruned(state('done', { finishedAt: 900 }), rule, 1000)).not.toBeNull();
    expect(pruned(state('done', { finishedAt: 901 }), rule, 1000)).toBeNull();
    expect(pruned(state('cancelled', { updatedAt: 900, finishedAt: null }), rule, 1000)).not.toBeNull();
    expect(pruned(state('cancelled', { updatedAt: 950, finishedAt: null }), rule, 1000)).toBeNull();
  });
});

describe('checkpoint', () => {
  it('is told with its message', () => {
    expect(checkpointEvent('build-x', 'half way')).toEqual({ name: 'pipeline:checkpoint', data: { pipeline: 'build-x', message: 'half way' } });
  });
});
