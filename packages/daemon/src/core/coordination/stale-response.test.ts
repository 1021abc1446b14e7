import { describe, expect, it } from 'vitest';
import { decideStale, type StaleSituation } from './stale-response.js';
import { builtin, runbookAction, settings } from './test-support.js';

const ext: StaleSituation = { holderKind: 'external', cause: 'heartbeat', live: false, handed: null };
const pipeline: StaleSituation = { holderKind: 'pipeline', cause: 'timeout', live: true, handed: null };

describe('on_stale / on_orphan: the decision point', () => {
  it('an empty chain is the built-in take-back: released, or the running phase failed', () => {
    expect(decideStale(settings('lock'), ext)).toEqual({ type: 'act', actions: [{ type: 'release' }] });
    expect(decideStale(settings('semaphore'), pipeline)).toEqual({ type: 'act', actions: [{ type: 'abort' }] });
  });

  it('every step applies in order; release only once; built-ins that mean nothing here are noted', () => {
    const s = settings('lock', { onStale: [builtin('rollback'), builtin('release'), runbookAction('page'), builtin('reclaim'), builtin('nudge')] });
    expect(decideStale(s, ext)).toEqual({
      type: 'act',
      actions: [{ type: 'rollback' }, { type: 'release' }, { type: 'action', id: 'f.action.page', action: 'page', announce: true }, { type: 'notApplicable', action: 'nudge' }],
    });
  });

  it('without a release step the hold stays: only the other steps', () => {
    expect(decideStale(settings('lock', { onStale: [builtin('escalate')] }), ext)).toEqual({ type: 'act', actions: [{ type: 'escalate' }] });
  });

  it('escalate for a pipeline holder: offered to a human first; taken, nothing is freed under its running phase and no second escalation', () => {
    const s = settings('lock', { onStale: [builtin('release'), builtin('escalate')] });
    expect(decideStale(s, pipeline)).toEqual({ type: 'handOver' });
    expect(decideStale(s, { ...pipeline, handed: true })).toEqual({ type: 'act', actions: [] });
    // Not running here: the hold is freed at once.
    expect(decideStale(s, { ...pipeline, live: false, handed: true })).toEqual({ type: 'act', actions: [{ type: 'release' }] });
    // Not taken: the plain steps.
    expect(decideStale(s, { ...pipeline, handed: false })).toEqual({ type: 'act', actions: [{ type: 'abort' }, { type: 'escalate' }] });
  });

  it('no hand-over for an external holder or a pipeline whose holder phase is gone', () => {
    const s = settings('lock', { onStale: [builtin('escalate')] });
    expect(decideStale(s, ext)).toEqual({ type: 'act', actions: [{ type: 'escalate' }] });
    expect(decideStale(s, { ...pipeline, live: false, cause: 'gone' })).toEqual({ type: 'act', actions: [{ type: 'escalate' }] });
    // A runbook action named escalate is not the built-in.
    expect(decideStale(settings('lock', { onStale: [runbookAction('escalate')] }), pipeline)).toMatchObject({ type: 'act' });
  });

  it('on_orphan_work: for a reclaimed slot of a holder neither running here nor handed to a human', () => {
    const s = settings('semaphore', { onStale: [builtin('reclaim')], onOrphanWork: [builtin('requeue'), runbookAction('clean')] });
    const work = [
      { type: 'orphanWork', action: 'requeue' },
      { type: 'action', id: 'f.action.clean', action: 'clean', announce: false },
    ];
    expect(decideStale(s, ext)).toEqual({ type: 'act', actions: [{ type: 'release' }, ...work] });
    expect(decideStale(s, { ...ext, holderKind: 'pipeline', cause: 'gone' })).toEqual({ type: 'act', actions: [{ type: 'release' }, ...work] });
    // A running phase fails instead; its own on_fail decides about its work.
    expect(decideStale(s, pipeline)).toEqual({ type: 'act', actions: [{ type: 'abort' }] });
    // Nothing freed, no orphaned work.
    expect(decideStale({ ...s, onStale: [builtin('rollback')] }, ext)).toEqual({ type: 'act', actions: [{ type: 'rollback' }] });
    // A lock has no on_orphan_work.
    expect(decideStale(settings('lock', { onOrphanWork: [builtin('requeue')] }), ext)).toEqual({ type: 'act', actions: [{ type: 'release' }] });
  });

  it('requeue or dead in the chain itself hands the work back too', () => {
    expect(decideStale(settings('semaphore', { onStale: [builtin('dead')] }), ext)).toEqual({ type: 'act', actions: [{ type: 'orphanWork', action: 'dead' }] });
  });
});
