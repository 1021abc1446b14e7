/** The coordinator on a real temp database with a hand-moved clock. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventLog } from '../events/event-log.js';
import type { ChainStep } from '../runbook/model.js';
import type { ResourceKey } from '../storage/resource-store.js';
import { SqliteSharedResources } from '../storage/sqlite-shared-resources.js';
import { Storage } from '../storage/storage.js';
import type { ResourcePolicy } from './coordinator-deps.js';
import { ResourceCoordinator } from './resource-coordinator.js';
import { resourceGate } from './coordination-steps.js';
import type { GateRelease, PhaseRunContext } from '../engine/phase-runner.js';

const step = (action: string): ChainStep => ({ text: action, action, max: null, id: null, builtin: true });

let dir: string;
let storage: Storage;
let clock: number;
let events: EventLog;
let shared: SqliteSharedResources;
let policies: Record<string, Partial<ResourcePolicy>>;
let coord: ResourceCoordinator;

const lock: ResourceKey = { kind: 'lock', project: '/p', resource: 'f.lock.main' };
const sem: ResourceKey = { kind: 'semaphore', project: '/p', resource: 'f.semaphore.agents' };

function make(): ResourceCoordinator {
  return new ResourceCoordinator({
    storage,
    shared,
    events,
    logger: winston.createLogger({ silent: true }),
    now: () => clock,
    policy: (k) => ({
      kind: k.kind,
      id: k.resource,
      name: k.resource.split('.').pop()!,
      project: k.project,
      defined: true,
      max: k.kind === 'lock' ? 1 : 3,
      heartbeatMs: 1000,
      timeoutMs: null,
      onStale: [step('release')],
      onOrphanWork: [],
      ...policies[k.resource],
    }),
    pipeline: () => undefined,
    runAction: () => {},
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oj-coord-'));
  clock = 1_000_000;
  storage = Storage.open(join(dir, 'db.sqlite'), () => clock);
  events = new EventLog(storage);
  shared = new SqliteSharedResources(storage);
  policies = {};
  coord = make();
});
afterEach(() => {
  coord.stop();
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const ext = (holder: string, weight = 1) => ({ holder, holderKind: 'external' as const, weight, phase: null, run: null });
const holders = (k: ResourceKey) => shared.store.holds(k).map((h) => h.holder);
const line = (k: ResourceKey) => shared.store.waiters(k).map((w) => w.holder);

describe('locks', () => {
  it('one holder; re-entrant; waiters served first come first served, handed over on release', async () => {
    expect((await coord.request(lock, ext('a'))).granted).toBe(true);
    expect((await coord.request(lock, ext('a'))).granted).toBe(true);
    expect(await coord.request(lock, ext('b'))).toMatchObject({ granted: false, position: 1 });
    expect(await coord.request(lock, ext('c'))).toMatchObject({ granted: false, position: 2 });
    // Asking again keeps the place.
    expect(await coord.request(lock, ext('b'))).toMatchObject({ granted: false, position: 1 });
    const b = coord.granted(lock, 'b');
    await coord.release(lock, 'a', 'done');
    await b.promise;
    expect(holders(lock)).toEqual(['b']);
    expect(line(lock)).toEqual(['c']);
  });

  it('a hand-over inside a write that then fails changes nothing and wakes nobody', async () => {
    await coord.request(lock, ext('a'));
    await coord.request(lock, ext('b'));
    let woken = false;
    const b = coord.granted(lock, 'b');
    void b.promise.then(() => (woken = true));
    const eventsBefore = storage.events.list({ limit: 100 }).length;
    expect(() =>
      storage.write(() => {
        // On SQLite the change is made at once, inside this write.
        void coord.release(lock, 'a', 'done').catch(() => {});
        expect(holders(lock)).toEqual(['b']);
        throw new Error('the outer write fails');
      }),
    ).toThrow('the outer write fails');
    await Promise.resolve();
    expect(woken).toBe(false);
    expect(holders(lock)).toEqual(['a']);
    expect(line(lock)).toEqual(['b']);
    expect(storage.events.list({ limit: 100 })).toHaveLength(eventsBefore);
    // Committed, the same hand-over wakes the waiter.
    await coord.release(lock, 'a', 'done');
    await b.promise;
    expect(woken).toBe(true);
  });

  it('without queueing, a request behind a line is refused and leaves no trace', async () => {
    await coord.request(lock, ext('a'));
    expect(await coord.request(lock, ext('b'), { queue: false })).toMatchObject({ granted: false, queued: false });
    expect(line(lock)).toEqual([]);
  });

  it('a waiter leaving lets the next one in when the lock is free', async () => {
    await coord.request(lock, ext('a'));
    await coord.request(lock, ext('b'));
    await coord.request(lock, ext('c'));
    await coord.release(lock, 'a', 'done');
    expect(holders(lock)).toEqual(['b']);
    expect(await coord.abandonWait(lock, 'c')).toBe(false);
    expect(line(lock)).toEqual([]);
  });

  it('a silent external holder is stale after its window: on_stale releases it to the next waiter', async () => {
    coord.start();
    await coord.request(lock, ext('a'));
    await coord.request(lock, ext('b'));
    clock += 900;
    await coord.heartbeat(lock, 'a');
    clock += 1000;
    await coord.sweep();
    expect(holders(lock)).toEqual(['a']);
    expect(coord.stalenessOf(shared.store.hold(lock, 'a')!).stale).toBe(false);
    clock += 1001;
    expect(coord.stalenessOf(shared.store.hold(lock, 'a')!)).toMatchObject({ stale: true });
    await coord.sweep();
    expect(holders(lock)).toEqual(['b']);
    const names = storage.events.list({ limit: 50 }).map((e) => e.name);
    expect(names).toContain('lock:stale');
  });

  it('without release in on_stale the hold stays, marked stale, and the chain runs once', async () => {
    policies[lock.resource] = { onStale: [step('escalate')] };
    coord = make();
    coord.start();
    await coord.request(lock, ext('a'));
    clock += 5000;
    await coord.sweep();
    await coord.sweep();
    expect(holders(lock)).toEqual(['a']);
    expect(shared.store.hold(lock, 'a')!.staleAt).not.toBeNull();
    expect(storage.events.list({ name: 'escalate' }).length).toBe(1);
    // A heartbeat revives it.
    await coord.heartbeat(lock, 'a');
    expect(coord.stalenessOf(shared.store.hold(lock, 'a')!).stale).toBe(false);
  });

  it('a live hold is heartbeated by the daemon, and aborted (not released under it) at its timeout', async () => {
    policies[lock.resource] = { timeoutMs: 5000 };
    coord = make();
    coord.start();
    const aborted: string[] = [];
    await coord.request(lock, { holder: 'p1', holderKind: 'pipeline', weight: 1, phase: 'merge', run: 1 });
    await coord.attachLive(lock, 'p1', { abort: (r) => (aborted.push(r), true) });
    clock += 600;
    await coord.sweep();
    expect(shared.store.hold(lock, 'p1')!.heartbeatAt).toBe(clock);
    clock += 4500;
    await coord.sweep();
    expect(aborted).toHaveLength(1);
    expect(aborted[0]).toMatch(/timeout 5s/);
    // Still held until the phase's gate releases it.
    expect(holders(lock)).toEqual(['p1']);
  });

  it('escalate for a live pipeline holder hands it to a human instead of failing it: no abort, no release under it, no second escalate event', async () => {
    policies[lock.resource] = { timeoutMs: 5000, onStale: [step('release'), step('escalate')] };
    coord = make();
    coord.start();
    const calls: string[] = [];
    await coord.request(lock, { holder: 'p1', holderKind: 'pipeline', weight: 1, phase: 'merge', run: 1 });
    await coord.attachLive(lock, 'p1', {
      abort: (r) => (calls.push(`abort ${r}`), true),
      escalate: (r, source) => (calls.push(`escalate ${source} ${r}`), true),
    });
    clock += 5001;
    await coord.sweep();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/^escalate lock lock main: held for .* \(timeout 5s\)$/);
    // The stopped phase's gate releases it once its processes are gone.
    expect(holders(lock)).toEqual(['p1']);
    expect(storage.events.list({ name: 'escalate' })).toHaveLength(0);
  });

  it('a pipeline holder that cannot be handed over falls back to the plain steps (abort, escalate event)', async () => {
    policies[lock.resource] = { timeoutMs: 5000, onStale: [step('release'), step('escalate')] };
    coord = make();
    coord.start();
    const calls: string[] = [];
    await coord.request(lock, { holder: 'p1', holderKind: 'pipeline', weight: 1, phase: 'merge', run: 1 });
    await coord.attachLive(lock, 'p1', { abort: () => (calls.push('abort'), true), escalate: () => (calls.push('escalate'), false) });
    clock += 5001;
    await coord.sweep();
    expect(calls).toEqual(['escalate', 'abort']);
    expect(storage.events.list({ name: 'escalate' })).toHaveLength(1);
  });

  it('waiting order survives a new coordinator (daemon restart); external waiters go', async () => {
    await coord.request(lock, ext('a'));
    await coord.request(lock, { holder: 'p2', holderKind: 'pipeline', weight: 1, phase: 'merge', run: 1 });
    await coord.request(lock, ext('x'));
    coord.stop();
    coord = make();
    await coord.reconcile();
    // pipeline p2 does not exist here, so its place goes too: only the external holder remains.
    expect(holders(lock)).toEqual(['a']);
    expect(line(lock)).toEqual([]);
  });
});

describe('semaphores', () => {
  it('an orphaned slot is reclaimed and its work handed to on_orphan_work (requeue of the owner item)', async () => {
    const requeued: string[] = [];
    policies[sem.resource] = { onStale: [step('reclaim')], onOrphanWork: [step('requeue')] };
    coord = new ResourceCoordinator({
      storage,
      shared,
      events,
      logger: winston.createLogger({ silent: true }),
      now: () => clock,
      policy: (k) => ({
        kind: k.kind,
        id: k.resource,
        name: 'agents',
        project: k.project,
        defined: true,
        max: 3,
        heartbeatMs: 1000,
        timeoutMs: null,
        onStale: [step('reclaim')],
        onOrphanWork: [step('requeue')],
      }),
      pipeline: (id) => (id === 'fix-1' ? ({ state: { id }, owner: { queue: 'bugs', item: 'B1' } } as never) : undefined),
      runAction: () => {},
      orphanWork: (action, p) => requeued.push(`${action} ${p.state.id}`),
    });
    coord.start();
    await coord.request(sem, ext('fix-1'));
    await coord.request(sem, ext('someone'));
    clock += 1500;
    await coord.sweep();
    expect(holders(sem)).toEqual([]);
    expect(requeued).toEqual(['requeue fix-1']);
    const orphans = storage.events.list({ name: 'semaphore:orphan' }).map((e) => e.subject);
    expect(orphans.sort()).toEqual(['fix-1', 'someone']);
  });


  it('at most max units; weights; strict order', async () => {
    expect((await coord.request(sem, ext('a', 2))).granted).toBe(true);
    expect((await coord.request(sem, ext('b', 2))).granted).toBe(false);
    expect((await coord.request(sem, ext('c', 1))).granted).toBe(false);
    const b = coord.granted(sem, 'b');
    await coord.release(sem, 'a', 'done');
    await b.promise;
    expect(holders(sem)).toEqual(['b', 'c']);
    await expect(coord.request(sem, ext('d', 4))).rejects.toThrow(/can never fit/);
  });
});

/** Just enough of a phase run for a gate. */
function fakeRun(run: number) {
  let stop: (r: string) => void = () => {};
  const stopSignal = new Promise<string>((r) => (stop = r));
  const waits: string[] = [];
  let stopped = false;
  const ctx = {
    record: { state: { id: 'p1' }, project: '/p' },
    phase: { name: 'merge' },
    run,
    waiting: (w: { kind: string; name: string }) => waits.push(`${w.kind} ${w.name}`),
    stopSignal,
    get stopped() {
      return stopped;
    },
    abort: () => {},
  } as unknown as PhaseRunContext;
  return {
    ctx,
    waits,
    stop: (r: string) => {
      stopped = true;
      stop(r);
    },
  };
}

describe('the lock gate of a phase', () => {
  it('a re-entered phase takes the hold over: the previous run ending does not release it', async () => {
    const gate = resourceGate(coord, 'lock', lock.resource);
    const first = fakeRun(1);
    const release1 = (await gate(first.ctx)) as GateRelease;
    const second = fakeRun(2);
    const release2 = (await gate(second.ctx)) as GateRelease;
    first.stop('transition');
    storage.write(() => release1.withOutcome());
    expect(holders(lock)).toEqual(['p1']);
    storage.write(() => release2.withOutcome());
    expect(holders(lock)).toEqual([]);
  });

  it('a phase run\'s release is written with its outcome, and applied again changes nothing; a later run\'s hold is never released by an earlier run', async () => {
    const gate = resourceGate(coord, 'lock', lock.resource);
    const release = (await gate(fakeRun(1).ctx)) as GateRelease;
    await coord.request(lock, ext('x'));
    // Rolled back with its outcome's write: nothing released.
    expect(() =>
      storage.write(() => {
        release.withOutcome();
        throw new Error('outcome not written');
      }),
    ).toThrow(/not written/);
    expect(holders(lock)).toEqual(['p1']);
    // Written: released, and the next in line has it.
    storage.write(() => release.withOutcome());
    expect(holders(lock)).toEqual(['x']);
    expect(events.list({ name: 'lock:released' }).map((e) => [e.subject, e.data.reason])).toEqual([['p1', 'phase ended']]);
    // The same release applied again (the outbox is at least once) changes nothing.
    await coord.release(lock, 'x', 'done');
    const later = (await gate(fakeRun(3).ctx)) as GateRelease;
    storage.write(() => coord.releaseWithOutcome(lock, 'p1', 1, 'phase ended'));
    expect(holders(lock)).toEqual(['p1']);
    expect(shared.store.holds(lock)[0]!.run).toBe(3);
    storage.write(() => later.withOutcome());
    expect(holders(lock)).toEqual([]);
  });

  it('a stopped run leaves the place in line to the run that re-entered', async () => {
    await coord.request(lock, ext('x'));
    const gate = resourceGate(coord, 'lock', lock.resource);
    const first = fakeRun(1);
    const waiting1 = gate(first.ctx);
    // The request is asynchronous: let it reach the line.
    const settle = () => new Promise((r) => setImmediate(r));
    await settle();
    expect(first.waits).toEqual(['lock main']);
    const second = fakeRun(2);
    const waiting2 = gate(second.ctx);
    await settle();
    first.stop('resume');
    expect(await waiting1).toBeUndefined();
    expect(line(lock)).toEqual(['p1']);
    await coord.release(lock, 'x', 'done');
    const release2 = (await waiting2) as GateRelease;
    expect(holders(lock)).toEqual(['p1']);
    storage.write(() => release2.withOutcome());
    expect(holders(lock)).toEqual([]);
  });
});

describe('an idle coordinator', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('on a daemon of its own, with nothing held and nobody waiting, wakes for nothing; a hold brings the minute look back', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const looks = vi.spyOn(shared, 'allHolds');
    coord.start();
    await vi.advanceTimersByTimeAsync(10);
    const atStart = looks.mock.calls.length;
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(looks.mock.calls.length).toBe(atStart); // before: a sweep every minute

    expect((await coord.request(lock, ext('a'))).granted).toBe(true);
    await vi.advanceTimersByTimeAsync(10);
    const held = looks.mock.calls.length;
    await vi.advanceTimersByTimeAsync(3 * 60_000);
    expect(looks.mock.calls.length).toBeGreaterThan(held);

    await coord.release(lock, 'a', 'done');
    await vi.advanceTimersByTimeAsync(10);
    const released = looks.mock.calls.length;
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(looks.mock.calls.length).toBe(released);
  });
});
