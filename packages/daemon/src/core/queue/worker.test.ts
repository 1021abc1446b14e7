import { describe, expect, it } from 'vitest';
import { stepWorker, type WorkerFacts, type WorkerState } from './worker.js';

const w: WorkerFacts = { name: 'fixer', queueRef: 'bugs', queue: 'bugs', concurrency: 2 };
const started = (over: Partial<WorkerState> = {}): WorkerState => ({ status: 'started', changedAt: 10, idleSince: null, lastWakeAt: null, ...over });

describe('worker state', () => {
  it('start: a new or stopped worker is started (its last wake kept), with an event and on_start; a started one is left as it is', () => {
    const t = stepWorker(null, w, { type: 'start' }, 100);
    expect(t).toEqual({
      state: { status: 'started', changedAt: 100, idleSince: null, lastWakeAt: null },
      changed: true,
      events: [{ name: 'worker:started', data: { worker: 'fixer', queue: 'bugs', concurrency: 2 } }],
      hooks: [{ hook: 'on_start', values: {} }],
    });
    expect(stepWorker(started({ status: 'stopped', lastWakeAt: 50 }), w, { type: 'start' }, 100).state).toEqual({ status: 'started', changedAt: 100, idleSince: null, lastWakeAt: 50 });
    expect(stepWorker(started(), w, { type: 'start' }, 100)).toEqual({ state: started(), changed: false, events: [], hooks: [] });
  });

  it('stop: a started worker stops (no longer idle), saying why and how much is still running; otherwise nothing happens', () => {
    const t = stepWorker(started({ idleSince: 20 }), w, { type: 'stop', reason: 'stopped by user', running: 1 }, 100);
    expect(t.state).toEqual({ status: 'stopped', changedAt: 100, idleSince: null, lastWakeAt: null });
    expect(t.events).toEqual([{ name: 'worker:stopped', data: { worker: 'fixer', reason: 'stopped by user', running: 1 } }]);
    expect(t.hooks).toEqual([{ hook: 'on_stop', values: { reason: 'stopped by user' } }]);
    for (const s of [null, started({ status: 'stopped' })]) {
      expect(stepWorker(s, w, { type: 'stop', reason: 'x', running: 0 }, 100)).toMatchObject({ changed: false, events: [], hooks: [] });
    }
  });

  it('wake records when; idle records since when; busy clears it', () => {
    expect(stepWorker(started(), w, { type: 'wake' }, 100)).toMatchObject({
      state: { lastWakeAt: 100 },
      events: [{ name: 'worker:woken', data: { worker: 'fixer', by: 'oj worker wake' } }],
      hooks: [{ hook: 'on_wake' }],
    });
    expect(stepWorker(started(), w, { type: 'idle' }, 100)).toMatchObject({
      state: { idleSince: 100 },
      events: [{ name: 'worker:idle', data: { worker: 'fixer', queue: 'bugs' } }],
      hooks: [{ hook: 'on_idle' }],
    });
    expect(stepWorker(started({ idleSince: 5 }), w, { type: 'busy' }, 100)).toMatchObject({ state: { idleSince: null }, changed: true, events: [] });
    expect(stepWorker(started(), w, { type: 'busy' }, 100).changed).toBe(false);
  });
});
