import { describe, expect, it } from 'vitest';
import type { ExhaustStep } from './exhaust.js';
import { heldBy, nextAttempt, stepItem } from './item-machine.js';
import { ItemRejected, type ItemEvent, type ItemSettings, type ItemTransition, type QueueItem } from './item.js';

const builtin = (action: string): ExhaustStep => ({ text: action, action, id: null, builtin: true });

const settings = (over: Partial<ItemSettings> = {}): ItemSettings => ({
  maxRetries: 2,
  visibilityTimeout: { text: '30m', ms: 1_800_000 },
  retention: { text: '7d', ms: 604_800_000 },
  onExhaust: [],
  ...over,
});

const pending = (over: Partial<QueueItem> = {}): QueueItem => ({
  project: '/p',
  queue: 'bugs',
  id: 'b1',
  status: 'pending',
  attempts: 0,
  failures: 0,
  takenAt: null,
  takenBy: null,
  worker: null,
  visibleAt: null,
  finishedAt: null,
  error: null,
  expiresAt: null,
  updatedAt: 0,
  ...over,
});

/** Taken by pipeline `pl-1` of worker `fixer`, attempt `attempts`, at t=1000. */
const takenByWorker = (over: Partial<QueueItem> = {}): QueueItem =>
  pending({ status: 'taken', attempts: 1, takenAt: 1000, takenBy: 'pl-1', worker: 'fixer', visibleAt: 1000 + 1_800_000, updatedAt: 1000, ...over });

const takenByScript = (over: Partial<QueueItem> = {}): QueueItem =>
  pending({ status: 'taken', attempts: 1, takenAt: 1000, takenBy: 'cli', worker: null, visibleAt: 1000 + 1_800_000, updatedAt: 1000, ...over });

const step = (item: QueueItem, e: ItemEvent, s: ItemSettings = settings(), now = 5000) => stepItem(item, s, e, now);
const names = (t: ItemTransition) => t.events.map((e) => e.name);
const kinds = (t: ItemTransition) => t.effects.map((e) => e.type);

function rejected(fn: () => unknown): ItemRejected {
  try {
    fn();
  } catch (err) {
    if (err instanceof ItemRejected) return err;
    throw err;
  }
  throw new Error('not rejected');
}

describe('take', () => {
  it('a script takes a pending item: taken, one more attempt, a deadline, a running attempt record', () => {
    const t = step(pending({ attempts: 2, failures: 1, error: 'before' }), { type: 'take', by: 'deploy-script', worker: null }, settings(), 7000);
    expect(t.state).toMatchObject({ status: 'taken', attempts: 3, failures: 1, takenAt: 7000, takenBy: 'deploy-script', worker: null, visibleAt: 7000 + 1_800_000, updatedAt: 7000, error: 'before' });
    expect(t.attempts).toEqual([{ type: 'start', attempt: 3, at: 7000, takenBy: 'deploy-script', worker: null }]);
    expect(t.events).toEqual([{ name: 'queue:item:taken', subject: 'b1', data: { queue: 'bugs', id: 'b1', attempt: 3, by: 'deploy-script' } }]);
    expect(t.effects).toEqual([{ type: 'armVisibility', at: 7000 + 1_800_000 }]);
    expect(nextAttempt(pending({ attempts: 2 }))).toBe(3);
  });

  it("a worker's pipeline takes it: the event names the pipeline and the worker", () => {
    const t = step(pending(), { type: 'take', by: 'pl-9', worker: 'fixer' });
    expect(t.state).toMatchObject({ status: 'taken', takenBy: 'pl-9', worker: 'fixer', attempts: 1 });
    expect(t.events[0]!.data).toEqual({ queue: 'bugs', id: 'b1', attempt: 1, pipeline: 'pl-9', worker: 'fixer' });
    expect(heldBy(t.state, 'pl-9', 1)).toBe(true);
    expect(heldBy(t.state, 'pl-9', 2)).toBe(false);
  });

  it('only a pending item can be taken: a taken, dead or finished one never is', () => {
    for (const item of [takenByWorker(), pending({ status: 'dead' }), pending({ status: 'completed' }), pending({ status: 'abandoned' })]) {
      expect(rejected(() => step(item, { type: 'take', by: 'x', worker: null })).status).toBe(item.status);
    }
  });
});

describe('complete', () => {
  it('a taken item completes: its attempt ends, who held it stays on record, it expires after the retention', () => {
    const t = step(takenByWorker({ error: 'an earlier failure' }), { type: 'complete' });
    expect(t.state).toMatchObject({ status: 'completed', finishedAt: 5000, visibleAt: null, error: null, expiresAt: 5000 + 604_800_000, takenBy: 'pl-1', worker: 'fixer' });
    expect(t.attempts).toEqual([{ type: 'end', attempt: 1, outcome: 'completed', error: null, at: 5000 }]);
    expect(t.events).toEqual([{ name: 'queue:item:completed', subject: 'b1', data: { queue: 'bugs', id: 'b1', attempt: 1, by: 'pl-1' } }]);
    expect(t.effects).toEqual([
      { type: 'armRetention', at: 5000 + 604_800_000 },
      { type: 'notify', reason: 'finished', worker: 'fixer' },
    ]);
  });

  it('a pending or dead item can be completed by hand (no attempt to end, no "by")', () => {
    for (const item of [pending(), pending({ status: 'dead', finishedAt: 1, expiresAt: 2 })]) {
      const t = step(item, { type: 'complete' });
      expect(t.state.status).toBe('completed');
      expect(t.attempts).toEqual([]);
      expect(t.events[0]!.data).toEqual({ queue: 'bugs', id: 'b1', attempt: 0 });
    }
  });

  it('a completed or abandoned item is not completed again', () => {
    expect(rejected(() => step(pending({ status: 'completed' }), { type: 'complete' })).message).toBe('item bugs/b1 is already completed');
    expect(rejected(() => step(pending({ status: 'abandoned' }), { type: 'complete' })).message).toBe('item bugs/b1 is already abandoned');
  });
});

describe('fail', () => {
  it('with retries left the item is visible again at once, its failure counted', () => {
    const t = step(takenByWorker(), { type: 'fail', error: 'boom', outcome: 'failed' });
    expect(t.state).toMatchObject({ status: 'pending', failures: 1, attempts: 1, error: 'boom', takenAt: null, takenBy: null, worker: null, visibleAt: null, expiresAt: null });
    expect(t.attempts).toEqual([{ type: 'end', attempt: 1, outcome: 'failed', error: 'boom', at: 5000 }]);
    expect(t.events).toEqual([
      { name: 'queue:item:failed', subject: 'b1', data: { queue: 'bugs', id: 'b1', attempt: 1, failures: 1, maxRetries: 2, error: 'boom', willRetry: true } },
    ]);
    expect(t.effects).toEqual([
      { type: 'notify', reason: 'released', worker: 'fixer' },
      // The attempt is over: the pipeline holding it does not run on beside the retry.
      { type: 'cancelPipeline', pipeline: 'pl-1', reason: 'item bugs/b1 failed: boom' },
    ]);
  });

  it('an item a script holds has no pipeline to cancel', () => {
    expect(kinds(step(takenByScript(), { type: 'fail', error: 'boom', outcome: 'failed' }))).toEqual(['notify']);
  });

  it('a timed-out attempt says so', () => {
    const t = step(takenByScript(), { type: 'fail', error: 'late', outcome: 'timed_out' });
    expect(t.attempts[0]).toMatchObject({ outcome: 'timed_out' });
    expect(t.events[0]!.data).toMatchObject({ timedOut: true, willRetry: true });
  });

  it('past max_retries the item goes to the dead letters (the default on_exhaust), kept for the retention', () => {
    const t = step(takenByWorker({ failures: 2 }), { type: 'fail', error: 'boom', outcome: 'failed' });
    expect(t.state).toMatchObject({ status: 'dead', failures: 3, error: 'boom', finishedAt: 5000, expiresAt: 5000 + 604_800_000, takenBy: null, worker: null });
    expect(names(t)).toEqual(['queue:item:failed', 'queue:item:dead']);
    expect(t.events[0]!.data).toMatchObject({ willRetry: false, failures: 3 });
    expect(t.events[1]!.data).toEqual({ queue: 'bugs', id: 'b1', failures: 3, error: 'boom' });
    expect(t.effects).toEqual([
      { type: 'armRetention', at: 5000 + 604_800_000 },
      { type: 'notify', reason: 'finished', worker: 'fixer' },
      { type: 'cancelPipeline', pipeline: 'pl-1', reason: 'item bugs/b1 failed: boom' },
    ]);
  });

  it('max_retries = 0: the first failure exhausts', () => {
    expect(step(pending(), { type: 'fail', error: 'x', outcome: 'failed' }, settings({ maxRetries: 0 })).state.status).toBe('dead');
  });

  it('on_exhaust = escalate: an escalate event for a human, the item held dead', () => {
    const t = step(takenByWorker({ failures: 2 }), { type: 'fail', error: 'boom', outcome: 'failed' }, settings({ onExhaust: [builtin('escalate')] }));
    expect(names(t)).toEqual(['queue:item:failed', 'escalate', 'queue:item:dead']);
    expect(t.events[1]).toEqual({
      name: 'escalate',
      subject: 'bugs/b1',
      data: { kind: 'queue_item', source: 'queue', queue: 'bugs', id: 'b1', reason: 'item bugs/b1: retries exhausted after 3 failures: boom', error: 'boom' },
    });
    expect(t.events[2]!.data).toMatchObject({ escalated: true });
  });

  it('on_exhaust = abandon gives up; requeue goes round again with its failures reset', () => {
    const abandoned = step(takenByWorker({ failures: 2 }), { type: 'fail', error: 'e', outcome: 'failed' }, settings({ onExhaust: [builtin('abandon')] }));
    expect(abandoned.state).toMatchObject({ status: 'abandoned', failures: 3 });
    expect(names(abandoned)).toEqual(['queue:item:failed', 'queue:item:abandoned']);
    const again = step(takenByWorker({ failures: 2 }), { type: 'fail', error: 'e', outcome: 'failed' }, settings({ onExhaust: [builtin('requeue')] }));
    expect(again.state).toMatchObject({ status: 'pending', failures: 0, attempts: 1, error: 'e', expiresAt: null, takenBy: null });
    expect(names(again)).toEqual(['queue:item:failed', 'queue:item:requeued']);
    expect(again.events[1]!.data).toEqual({ queue: 'bugs', id: 'b1', reason: 'on_exhaust' });
    expect(kinds(again)).toEqual(['notify', 'cancelPipeline']);
  });

  it('runbook actions of on_exhaust run after commit; steps meaningless for an item are logged', () => {
    const chain: ExhaustStep[] = [{ text: 'ops.notify', action: 'notify', id: 'ops.action.notify', builtin: false }, builtin('nudge')];
    const t = step(takenByWorker({ failures: 2 }), { type: 'fail', error: 'e', outcome: 'failed' }, settings({ onExhaust: chain }));
    expect(t.state.status).toBe('dead');
    expect(t.effects).toContainEqual({ type: 'runAction', action: 'ops.action.notify', error: 'e' });
    expect(t.effects).toContainEqual({ type: 'log', level: 'warn', message: 'on_exhaust steps ignored for a queue item', fields: { queue: 'bugs', steps: ['nudge'] } });
  });

  it('a pending item can be failed by hand (a failure, no attempt to end); a dead or finished one cannot', () => {
    const t = step(pending(), { type: 'fail', error: 'bad data', outcome: 'failed' });
    expect(t.state).toMatchObject({ status: 'pending', failures: 1 });
    expect(t.attempts).toEqual([]);
    const dead = rejected(() => step(pending({ status: 'dead' }), { type: 'fail', error: 'x', outcome: 'failed' }));
    expect(dead.message).toBe('item bugs/b1 is dead; only pending or taken items can fail');
    expect(dead.hint).toBe('oj queue retry bugs b1 redrives it');
    expect(rejected(() => step(pending({ status: 'completed' }), { type: 'fail', error: 'x', outcome: 'failed' })).hint).toBeUndefined();
  });
});

describe('startFailed', () => {
  it("a pending item whose pipeline could not be created: one attempt started and failed at once, a failure counted", () => {
    const t = step(pending({ attempts: 1, failures: 1 }), { type: 'startFailed', worker: 'fixer', error: 'cannot start handler fix: bad' });
    expect(t.state).toMatchObject({ status: 'pending', attempts: 2, failures: 2, error: 'cannot start handler fix: bad' });
    expect(t.attempts).toEqual([
      { type: 'start', attempt: 2, at: 5000, takenBy: null, worker: 'fixer' },
      { type: 'end', attempt: 2, outcome: 'failed', error: 'cannot start handler fix: bad', at: 5000 },
    ]);
    expect(t.events[0]!.data).toMatchObject({ attempt: 2, failures: 2, willRetry: true });
  });

  it('changes nothing once the item is no longer pending', () => {
    const t = step(takenByWorker(), { type: 'startFailed', worker: 'fixer', error: 'x' });
    expect(t.state).toEqual(takenByWorker());
    expect(t.events).toEqual([]);
  });
});

describe('pipelineEnded', () => {
  const ended = (over: Partial<Extract<ItemEvent, { type: 'pipelineEnded' }>> = {}): ItemEvent => ({
    type: 'pipelineEnded',
    pipeline: 'pl-1',
    handle: 'pl-1',
    attempt: 1,
    worker: 'fixer',
    status: 'done',
    error: null,
    timedOut: false,
    ...over,
  });

  it('done: the item it holds completes', () => {
    expect(step(takenByWorker(), ended()).state.status).toBe('completed');
  });

  it('failed or cancelled: a failed attempt with the pipeline outcome as the error', () => {
    expect(step(takenByWorker(), ended({ status: 'failed', error: 'phase build failed' })).state.error).toBe('pipeline pl-1 failed: phase build failed');
    expect(step(takenByWorker(), ended({ status: 'cancelled' })).state.error).toBe('pipeline pl-1 cancelled');
  });

  it('cancelled by the visibility timeout: a timed-out attempt', () => {
    const t = step(takenByWorker(), ended({ status: 'cancelled', timedOut: true }));
    expect(t.state.error).toBe('visibility timeout (30m) passed; pipeline pl-1 cancelled');
    expect(t.attempts[0]).toMatchObject({ outcome: 'timed_out' });
  });

  it('an item no longer held by that pipeline (another holder, attempt or status) is left alone; the worker gets its slot back', () => {
    for (const item of [takenByWorker({ takenBy: 'pl-2' }), takenByWorker({ attempts: 2 }), takenByWorker({ status: 'completed' }), pending()]) {
      const t = step(item, ended({ status: 'failed' }));
      expect(t.state).toEqual(item);
      expect(t.events).toEqual([]);
      expect(t.attempts).toEqual([]);
      expect(t.effects).toContainEqual({ type: 'notify', reason: 'finished', worker: 'fixer' });
    }
  });
});

describe('expire (visibility timeout)', () => {
  it('an item held past its deadline counts a timed-out attempt and is visible again', () => {
    const item = takenByScript();
    const t = step(item, { type: 'expire', attempt: 1, takenBy: 'cli' }, settings(), item.visibleAt!);
    expect(t.state).toMatchObject({ status: 'pending', failures: 1, error: 'visibility timeout (30m) passed' });
    expect(t.attempts[0]).toMatchObject({ type: 'end', outcome: 'timed_out' });
  });

  it('changes nothing before the deadline, or when the item was settled or taken again meanwhile', () => {
    const item = takenByScript();
    const cases: [QueueItem, ItemEvent, number][] = [
      [item, { type: 'expire', attempt: 1, takenBy: 'cli' }, item.visibleAt! - 1],
      [item, { type: 'expire', attempt: 0, takenBy: 'cli' }, item.visibleAt!],
      [item, { type: 'expire', attempt: 1, takenBy: 'someone-else' }, item.visibleAt!],
      [pending(), { type: 'expire', attempt: 0, takenBy: null }, 10 ** 12],
    ];
    for (const [i, e, now] of cases) {
      const t = step(i, e, settings(), now);
      expect(t.state).toEqual(i);
      expect(t.events).toEqual([]);
    }
  });
});

describe('hostLost (cluster: the holding host stopped heartbeating)', () => {
  it('the attempt is lost whatever its deadline: a timed-out attempt, visible again', () => {
    const item = takenByWorker();
    const t = step(item, { type: 'hostLost', attempt: 1, takenBy: 'pl-1', host: 'b1' }, settings(), 2000);
    expect(t.state).toMatchObject({ status: 'pending', failures: 1, takenBy: null, error: 'host b1 stopped heartbeating; its attempt is lost' });
    expect(t.attempts[0]).toMatchObject({ type: 'end', outcome: 'timed_out' });
  });

  it('changes nothing when the item was settled or taken again meanwhile', () => {
    for (const [i, e] of [
      [takenByWorker(), { type: 'hostLost', attempt: 2, takenBy: 'pl-1', host: 'b1' }],
      [takenByWorker(), { type: 'hostLost', attempt: 1, takenBy: 'pl-2', host: 'b1' }],
      [pending(), { type: 'hostLost', attempt: 0, takenBy: null, host: 'b1' }],
    ] as [QueueItem, ItemEvent][]) {
      const t = step(i, e);
      expect(t.state).toEqual(i);
      expect(t.events).toEqual([]);
    }
  });
});

describe('refresh (after a restart)', () => {
  it('gives a taken item a fresh window, never a shorter one; updated_at stays', () => {
    const item = takenByWorker({ visibleAt: 2000 });
    expect(step(item, { type: 'refresh' }, settings(), 10_000).state).toEqual({ ...item, visibleAt: 10_000 + 1_800_000 });
    const later = takenByWorker({ visibleAt: 10 ** 10 });
    expect(step(later, { type: 'refresh' }, settings(), 10_000).state).toEqual(later);
    expect(step(pending(), { type: 'refresh' }).state).toEqual(pending());
  });
});

describe('requeue', () => {
  it("a taken item goes back to pending: its attempt ends as requeued, failures kept, the worker's pipeline cancelled last", () => {
    const t = step(takenByWorker({ failures: 1 }), { type: 'requeue', liveTwin: false });
    expect(t.state).toMatchObject({ status: 'pending', failures: 1, attempts: 1, takenBy: null, worker: null, visibleAt: null });
    expect(t.attempts).toEqual([{ type: 'end', attempt: 1, outcome: 'requeued', error: null, at: 5000 }]);
    expect(t.events).toEqual([{ name: 'queue:item:requeued', subject: 'b1', data: { queue: 'bugs', id: 'b1', from: 'taken' } }]);
    expect(t.effects).toEqual([
      { type: 'notify', reason: 'added', worker: 'fixer' },
      { type: 'cancelPipeline', pipeline: 'pl-1', reason: 'item bugs/b1 requeued' },
    ]);
  });

  it('a script holding it has no pipeline to cancel', () => {
    expect(kinds(step(takenByScript(), { type: 'requeue', liveTwin: false }))).toEqual(['notify']);
  });

  it('a dead or finished item comes back with its failures reset', () => {
    const t = step(pending({ status: 'dead', failures: 3, finishedAt: 9, expiresAt: 99 }), { type: 'requeue', liveTwin: false });
    expect(t.state).toMatchObject({ status: 'pending', failures: 0, finishedAt: null, expiresAt: null });
    expect(step(pending({ status: 'completed' }), { type: 'requeue', liveTwin: false }).state.status).toBe('pending');
  });

  it('a pending item, or a finished one whose id is queued again, is refused', () => {
    expect(rejected(() => step(pending(), { type: 'requeue', liveTwin: false })).message).toBe('item bugs/b1 is already pending');
    expect(rejected(() => step(pending({ status: 'completed' }), { type: 'requeue', liveTwin: true })).message).toBe('another item bugs/b1 is already queued');
  });
});

describe('bury', () => {
  it('a taken item goes straight to the dead letters: attempt failed, one dead event, its pipeline cancelled last', () => {
    const t = step(takenByWorker({ failures: 1 }), { type: 'bury', reason: 'poison' });
    expect(t.state).toMatchObject({ status: 'dead', failures: 1, error: 'poison', finishedAt: 5000, expiresAt: 5000 + 604_800_000, takenBy: null, worker: null });
    expect(t.attempts).toEqual([{ type: 'end', attempt: 1, outcome: 'failed', error: 'poison', at: 5000 }]);
    expect(t.events).toEqual([{ name: 'queue:item:dead', subject: 'b1', data: { queue: 'bugs', id: 'b1', failures: 1, error: 'poison', buried: true, from: 'taken' } }]);
    expect(kinds(t)).toEqual(['armRetention', 'notify', 'cancelPipeline']);
  });

  it('whatever on_exhaust says (a requeue queue too)', () => {
    expect(step(pending(), { type: 'bury', reason: 'x' }, settings({ onExhaust: [builtin('requeue')] })).state.status).toBe('dead');
  });

  it('a dead or finished item is refused, with the way out as the hint', () => {
    const dead = rejected(() => step(pending({ status: 'dead' }), { type: 'bury', reason: 'x' }));
    expect(dead.message).toBe('item bugs/b1 is already dead');
    expect(dead.hint).toBe('oj queue dead bugs lists it; oj queue retry bugs b1 redrives it');
    const done = rejected(() => step(pending({ status: 'completed' }), { type: 'bury', reason: 'x' }));
    expect(done.message).toBe('item bugs/b1 is completed; only pending or taken items can be buried');
    expect(done.hint).toBe('oj queue requeue bugs b1 queues it again');
  });
});

describe('redrive (oj queue retry)', () => {
  it('a dead item is pending again with its failures reset; its last error and attempts stay', () => {
    const t = step(pending({ status: 'dead', attempts: 3, failures: 3, error: 'boom', finishedAt: 9, expiresAt: 99 }), { type: 'redrive' });
    expect(t.state).toMatchObject({ status: 'pending', attempts: 3, failures: 0, error: 'boom', finishedAt: null, expiresAt: null, updatedAt: 5000 });
    expect(t.events).toEqual([{ name: 'queue:item:retried', subject: 'b1', data: { queue: 'bugs', id: 'b1', attempts: 3 } }]);
    expect(t.effects).toEqual([{ type: 'notify', reason: 'added', worker: null }]);
  });

  it('only dead items are redriven', () => {
    expect(rejected(() => step(pending(), { type: 'redrive' })).hint).toBeUndefined();
    const done = rejected(() => step(pending({ status: 'completed' }), { type: 'redrive' }));
    expect(done.message).toBe('item bugs/b1 is completed, not dead');
    expect(done.hint).toBe('oj queue requeue bugs b1 queues it again');
  });
});

describe('remove', () => {
  it('deletes the item; a taken one frees its worker and its pipeline is cancelled', () => {
    const t = step(takenByWorker(), { type: 'remove' });
    expect(t.removed).toBe(true);
    expect(t.events).toEqual([{ name: 'queue:item:removed', subject: 'b1', data: { queue: 'bugs', id: 'b1', status: 'taken' } }]);
    expect(t.effects).toEqual([
      { type: 'notify', reason: 'finished', worker: 'fixer' },
      { type: 'cancelPipeline', pipeline: 'pl-1', reason: 'item bugs/b1 removed' },
    ]);
    const gone = step(pending({ status: 'dead' }), { type: 'remove' });
    expect(gone.removed).toBe(true);
    expect(gone.effects).toEqual([]);
  });
});
