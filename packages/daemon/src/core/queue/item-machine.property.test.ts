/**
 * Property tests of the item lifecycle: random sequences of events (valid
 * and invalid, stale and current, from several takers) from a seeded
 * generator; the invariants hold after every step. A failure names its seed
 * and step, so it replays exactly.
 */
import { describe, expect, it } from 'vitest';
import { prng as random } from '../../../../../test/prng/prng.js';
import type { ExhaustStep } from './exhaust.js';
import { stepItem } from './item-machine.js';
import { ItemRejected, type ItemEvent, type ItemSettings, type ItemTransition, type QueueItem } from './item.js';

const builtin = (action: string): ExhaustStep => ({ text: action, action, id: null, builtin: true });
const CHAINS: ExhaustStep[][] = [[], [builtin('dead')], [builtin('escalate')], [builtin('abandon')], [builtin('requeue')], [builtin('escalate'), builtin('requeue')]];

interface Sim {
  item: QueueItem;
  /** The attempt whose record is open (started, not ended), as the attempt writes say. */
  running: number | null;
  removed: boolean;
}

function newItem(id: string): QueueItem {
  return {
    project: '/p',
    queue: 'q',
    id,
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
  };
}

function randomEvent(r: ReturnType<typeof random>, item: QueueItem, pipelines: string[]): ItemEvent {
  const holder = item.takenBy ?? r.pick(['cli', ...pipelines]);
  const someone = r.chance(0.7) ? holder : r.pick(['cli', 'x', ...pipelines]);
  const attempt = r.chance(0.7) ? item.attempts : item.attempts + r.int(0, 2) - 1;
  switch (r.int(0, 11)) {
    case 0:
    case 1: {
      const pipeline = `pl-${pipelines.length + 1}`;
      pipelines.push(pipeline);
      return r.chance(0.5) ? { type: 'take', by: pipeline, worker: r.pick(['w1', 'w2']) } : { type: 'take', by: r.pick(['cli', 'script']), worker: null };
    }
    case 2:
      return { type: 'complete' };
    case 3:
      return { type: 'fail', error: 'boom', outcome: r.pick(['failed', 'timed_out'] as const) };
    case 4:
    case 5:
      return {
        type: 'pipelineEnded',
        pipeline: someone,
        handle: someone,
        attempt,
        worker: item.worker ?? 'w1',
        status: r.pick(['done', 'failed', 'cancelled'] as const),
        error: r.chance(0.5) ? 'phase failed' : null,
        timedOut: r.chance(0.3),
      };
    case 6:
      return { type: 'expire', attempt, takenBy: someone };
    case 7:
      return { type: 'refresh' };
    case 8:
      return { type: 'requeue', liveTwin: r.chance(0.3) };
    case 9:
      return { type: 'bury', reason: 'poison' };
    case 10:
      return r.chance(0.8) ? { type: 'redrive' } : { type: 'remove' };
    default:
      return { type: 'startFailed', worker: 'w1', error: 'cannot start' };
  }
}

/** Checks one step; returns the simulation after it. */
function check(sim: Sim, s: ItemSettings, e: ItemEvent, t: ItemTransition | null, where: string): Sim {
  const before = sim.item;
  const fail = (what: string) => {
    throw new Error(`${where}: ${what}\n  event ${JSON.stringify(e)}\n  before ${JSON.stringify(before)}\n  after ${JSON.stringify(t?.state)}`);
  };
  if (e.type === 'take' && before.status !== 'pending' && t) fail('a taken, dead or finished item was handed out');
  if (!t) return sim;
  const after = t.state;

  // Attempt records: at most one open at a time, and it is the taken item's current attempt.
  let running = sim.running;
  for (const a of t.attempts) {
    if (a.type === 'start') {
      if (running !== null) fail(`attempt ${a.attempt} started while attempt ${running} is open: held twice`);
      running = a.attempt;
    } else {
      if (running !== a.attempt) fail(`attempt ${a.attempt} ended but ${running} is open`);
      running = null;
    }
  }
  if (t.removed) return { item: after, running, removed: true };
  if ((after.status === 'taken') !== (running !== null)) fail(`status ${after.status} with open attempt ${running}`);
  if (after.status === 'taken' && running !== after.attempts) fail('the open attempt is not the current one');

  // One holder: a taken item is only ever released, never passed to another taker.
  if (before.status === 'taken' && after.status === 'taken' && (before.takenBy !== after.takenBy || before.attempts !== after.attempts)) {
    fail('the item went from one taker to another');
  }
  // Attempts count takes: never down, up by one only on a take.
  if (after.attempts < before.attempts) fail('attempts decreased');
  if (after.attempts > before.attempts + 1) fail('attempts jumped');
  if (after.attempts > before.attempts && e.type !== 'take' && e.type !== 'startFailed') fail(`attempts grew on ${e.type}`);

  if (after.failures < 0) fail('negative failures');
  if ((after.status === 'pending' || after.status === 'taken') && after.failures > s.maxRetries) fail('a live item past max_retries');

  if (after.status === 'taken') {
    if (after.visibleAt === null || after.takenBy === null || after.takenAt === null) fail('taken without holder or deadline');
  } else if (after.visibleAt !== null) fail('a deadline on an item nobody holds');
  if (after.status === 'pending' && (after.takenBy !== null || after.worker !== null || after.takenAt !== null)) fail('a pending item with a holder');
  const finished = after.status === 'completed' || after.status === 'dead' || after.status === 'abandoned';
  if (finished && (after.finishedAt === null || after.expiresAt === null)) fail('finished without finish time or expiry');
  if (!finished && after.expiresAt !== null) fail('a live item set to expire');

  if (after.status !== before.status && t.events.length === 0) fail('a status change recorded no event');
  if (t.events.length === 0 && JSON.stringify({ ...after, visibleAt: 0 }) !== JSON.stringify({ ...before, visibleAt: 0 })) fail('a silent change');

  for (const ef of t.effects) {
    if (ef.type === 'cancelPipeline' && !(before.status === 'taken' && before.worker && before.takenBy === ef.pipeline)) fail('cancelled a pipeline that did not hold the item');
    if (ef.type === 'armRetention' && ef.at !== after.expiresAt) fail('retention armed for another time');
    if (ef.type === 'armVisibility' && ef.at !== after.visibleAt) fail('visibility armed for another time');
  }
  return { item: after, running, removed: false };
}

describe('item lifecycle properties (seeded random walks)', () => {
  it('hold for 300 walks of 200 events each', () => {
    let steps = 0;
    let taken = 0;
    let exhausted = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const r = random(seed);
      const s: ItemSettings = {
        maxRetries: r.int(0, 3),
        visibilityTimeout: { text: '10m', ms: 600_000 },
        retention: { text: '1d', ms: 86_400_000 },
        onExhaust: r.pick(CHAINS),
      };
      const pipelines: string[] = [];
      let sim: Sim = { item: newItem('a'), running: null, removed: false };
      let now = 1;
      for (let i = 0; i < 200; i++) {
        if (sim.removed) sim = { item: newItem(`a${i}`), running: null, removed: false };
        now += r.int(0, 399_999);
        const e = randomEvent(r, sim.item, pipelines);
        let t: ItemTransition | null = null;
        try {
          t = stepItem(sim.item, s, e, now);
        } catch (err) {
          if (!(err instanceof ItemRejected)) throw err;
        }
        sim = check(sim, s, e, t, `seed ${seed} step ${i}`);
        steps++;
        if (t && e.type === 'take') taken++;
        if (t?.events.some((x) => x.name === 'queue:item:dead' || x.name === 'queue:item:abandoned')) exhausted++;
      }
    }
    // The walks reach the interesting states often enough to mean something.
    expect(steps).toBe(60_000);
    expect(taken).toBeGreaterThan(2000);
    expect(exhausted).toBeGreaterThan(300);
  });

  it('an item with retries left is never lost: enough failures always end in dead, abandoned or pending again', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const r = random(seed);
      const s: ItemSettings = { maxRetries: r.int(0, 4), visibilityTimeout: { text: '1m', ms: 60_000 }, retention: { text: '1d', ms: 86_400_000 }, onExhaust: r.pick(CHAINS) };
      let item = newItem('x');
      for (let i = 0; i <= s.maxRetries; i++) {
        item = stepItem(item, s, { type: 'take', by: `pl-${i}`, worker: 'w' }, i * 10).state;
        expect(item.status).toBe('taken');
        item = stepItem(item, s, { type: 'pipelineEnded', pipeline: `pl-${i}`, handle: `pl-${i}`, attempt: item.attempts, worker: 'w', status: 'failed', error: null, timedOut: false }, i * 10 + 5).state;
      }
      expect(item.attempts).toBe(s.maxRetries + 1);
      const planned = s.onExhaust.length ? s.onExhaust[s.onExhaust.length - 1]!.action : 'dead';
      const expected = planned === 'requeue' ? 'pending' : planned === 'abandon' ? 'abandoned' : 'dead';
      expect(item.status).toBe(expected);
    }
  });
});
