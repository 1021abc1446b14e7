import { describe, expect, it } from 'vitest';
import { Resource, ask, builtin, runbookAction, settings } from './test-support.js';
import type { HolderFacts } from './types.js';

const facts = (entries: Record<string, Partial<HolderFacts>> = {}): ReadonlyMap<string, HolderFacts> =>
  new Map(Object.entries(entries).map(([k, v]) => [k, { live: false, gone: null, owner: null, ...v }]));

describe('sweep: stale detection', () => {
  it('a silent external holder turns stale just after its window and is released to the next waiter', () => {
    const r = new Resource(settings('lock'));
    r.step(ask('a'));
    r.step(ask('b'));
    r.now += 1000;
    r.step({ type: 'sweep', facts: facts() });
    expect(r.events).toEqual([]);
    r.now += 1;
    r.step({ type: 'sweep', facts: facts() });
    expect(r.events).toEqual(['lock:stale a', 'lock:released a', 'lock:acquired b']);
    expect(r.last!.events[0]!.data).toEqual({ holder: 'a', reason: 'no heartbeat for 1s (window 1s)', cause: 'heartbeat' });
    expect(r.last!.events[1]!.data).toEqual({ holder: 'a', reason: 'stale: no heartbeat for 1s (window 1s)' });
    expect(r.holders).toEqual(['b']);
  });

  it('a cluster host that does not lead judges only its own holds (`only`); the leader judges every one', () => {
    const r = new Resource(settings('semaphore', { max: 2 }));
    r.step(ask('mine'));
    r.step(ask('theirs'));
    r.now += 5000;
    r.step({ type: 'sweep', facts: facts(), only: new Set(['mine']) });
    expect(r.events).toEqual(['semaphore:orphan mine', 'semaphore:released mine']);
    expect(r.holders).toEqual(['theirs']);
    r.step({ type: 'sweep', facts: facts() });
    expect(r.events).toEqual(['semaphore:orphan theirs', 'semaphore:released theirs']);
  });

  it('a stale hold that stays is marked once: the steps do not run again until a heartbeat revives it', () => {
    const r = new Resource(settings('lock', { onStale: [builtin('escalate')] }));
    r.step(ask('a'));
    r.now += 5000;
    r.step({ type: 'sweep', facts: facts() });
    expect(r.events).toEqual(['lock:stale a', 'escalate a']);
    // The common escalate data (core/recovery), its source the resource's kind.
    expect(r.last!.events[1]!.data).toEqual({
      holder: 'a',
      source: 'lock',
      reason: 'lock main: no heartbeat for 5s (window 1s)',
      error: 'lock main: no heartbeat for 5s (window 1s)',
    });
    expect(r.state.holds[0]).toMatchObject({ staleAt: r.now, staleReason: 'no heartbeat for 5s (window 1s)' });
    r.now += 5000;
    r.step({ type: 'sweep', facts: facts() });
    expect(r.events).toEqual([]);
    r.step({ type: 'heartbeat', holder: 'a' });
    r.now += 1001;
    r.step({ type: 'sweep', facts: facts() });
    expect(r.events).toEqual(['lock:stale a', 'escalate a']);
  });

  it('a live hold gets the daemon heartbeat at half a window, and only times out', () => {
    const r = new Resource(settings('lock', { timeoutMs: 5000 }));
    r.step(ask('p1', 1, { kind: 'pipeline' }));
    const live = facts({ p1: { live: true } });
    r.now += 499;
    r.step({ type: 'sweep', facts: live });
    expect(r.state.holds[0]!.heartbeatAt).toBe(r.now - 499);
    r.now += 1;
    r.step({ type: 'sweep', facts: live });
    expect(r.state.holds[0]!.heartbeatAt).toBe(r.now);
    r.now += 4501;
    r.step({ type: 'sweep', facts: live });
    expect(r.events).toEqual(['lock:stale p1']);
    expect(r.last!.events[0]!.data).toMatchObject({ cause: 'timeout', reason: 'held for 5s (timeout 5s)' });
    // Not released under the running phase: it is failed, and freed if that cannot be done.
    expect(r.effects).toContainEqual({ type: 'abort', holder: 'p1', reason: 'lock main was taken back: held for 5s (timeout 5s)', orRelease: 'timeout: held for 5s (timeout 5s)' });
    expect(r.holders).toEqual(['p1']);
  });

  it('orphan: a pipeline holder whose pipeline is gone is stale at once, and its slot reclaimed with its work handed back', () => {
    const owner = { queue: 'bugs', item: 'B1' };
    const r = new Resource(settings('semaphore', { onStale: [builtin('reclaim')], onOrphanWork: [builtin('requeue')] }));
    r.step(ask('fix-1', 1, { kind: 'pipeline' }));
    r.step({ type: 'sweep', facts: facts({ 'fix-1': { gone: 'pipeline fix-1 is failed', owner } }) });
    expect(r.events).toEqual(['semaphore:orphan fix-1', 'semaphore:released fix-1', 'semaphore:orphan-work fix-1']);
    expect(r.last!.events[0]!.data).toMatchObject({ cause: 'gone', reason: 'holder gone: pipeline fix-1 is failed' });
    expect(r.last!.events[2]!.data).toEqual({ holder: 'fix-1', action: 'requeue', reason: 'holder gone: pipeline fix-1 is failed', owner });
    expect(r.effects).toContainEqual({ type: 'orphanWork', holder: 'fix-1', action: 'requeue', reason: 'holder gone: pipeline fix-1 is failed' });
  });

  it('orphaned work of a holder without an owner: the event only', () => {
    const r = new Resource(settings('semaphore', { onOrphanWork: [builtin('requeue')] }));
    r.step(ask('x'));
    r.now += 2000;
    r.step({ type: 'sweep', facts: facts() });
    expect(r.events).toEqual(['semaphore:orphan x', 'semaphore:released x', 'semaphore:orphan-work x']);
    expect(r.effects.filter((e) => (e as { type: string }).type === 'orphanWork')).toEqual([]);
  });

  it('runbook actions run with the hold values; rollback and escalate are events', () => {
    const r = new Resource(settings('lock', { onStale: [runbookAction('page'), builtin('rollback'), builtin('release'), builtin('escalate')] }));
    r.step(ask('a'));
    r.now += 1001;
    r.step({ type: 'sweep', facts: facts() });
    expect(r.events).toEqual(['lock:stale a', 'action:page a', 'lock:rollback a', 'lock:released a', 'escalate a']);
    expect(r.effects).toContainEqual({ type: 'runAction', action: 'f.action.page', values: { lock: 'main', holder: 'a', reason: 'no heartbeat for 1s (window 1s)' } });
  });
});

describe('hand-over to a human', () => {
  const s = settings('lock', { timeoutMs: 5000, onStale: [builtin('release'), builtin('escalate')] });
  const live: HolderFacts = { live: true, gone: null, owner: null };

  it('marks the hold stale and asks; the answer decides the rest', () => {
    const r = new Resource(s);
    r.step(ask('p1', 1, { kind: 'pipeline' }));
    r.now += 5001;
    r.step({ type: 'sweep', facts: facts({ p1: live }) });
    expect(r.events).toEqual(['lock:stale p1']);
    const handOver = r.effects.find((e) => (e as { type: string }).type === 'handOver');
    expect(handOver).toEqual({ type: 'handOver', holder: 'p1', holderKind: 'pipeline', cause: 'timeout', reason: 'held for 5s (timeout 5s)', facts: live });
    const taken = new Resource(s, r.now);
    taken.state = r.state;
    taken.step({ type: 'respond', holder: 'p1', holderKind: 'pipeline', cause: 'timeout', reason: 'held for 5s (timeout 5s)', handed: true, facts: live });
    expect(taken.events).toEqual([]);
    expect(taken.effects).toEqual([]);
    expect(taken.holders).toEqual(['p1']);
    r.step({ type: 'respond', holder: 'p1', holderKind: 'pipeline', cause: 'timeout', reason: 'held for 5s (timeout 5s)', handed: false, facts: live });
    expect(r.events).toEqual(['escalate p1']);
    expect(r.effects[0]).toMatchObject({ type: 'abort', holder: 'p1' });
  });

  it('a pipeline not running here that was handed over loses the hold at once', () => {
    const r = new Resource(s);
    r.step(ask('p1', 1, { kind: 'pipeline' }));
    r.step(ask('p2', 1, { kind: 'pipeline' }));
    r.step({ type: 'respond', holder: 'p1', holderKind: 'pipeline', cause: 'heartbeat', reason: 'silent', handed: true, facts: { live: false, gone: null, owner: null } });
    expect(r.events).toEqual(['lock:released p1', 'lock:acquired p2']);
  });
});

describe('restart', () => {
  it('drops what belongs to pipelines that moved on and external waiters; keeps and refreshes the rest; hands room on', () => {
    const r = new Resource(settings('semaphore', { max: 2 }));
    r.step(ask('ext', 1));
    r.step(ask('p-gone', 1, { kind: 'pipeline' }));
    r.step(ask('w-ext', 1));
    r.step(ask('w-p', 1, { kind: 'pipeline' }));
    r.step(ask('w-gone', 1, { kind: 'pipeline' }));
    r.state = { ...r.state, holds: r.state.holds.map((h) => (h.holder === 'ext' ? { ...h, staleAt: 5, staleReason: 'x' } : h)) };
    r.now += 10_000;
    const counts = r.step({ type: 'restart', gone: new Map([['p-gone', 'pipeline p-gone is done'], ['w-gone', 'pipeline w-gone no longer exists']]) });
    expect(counts).toEqual({ released: 1, kept: 1, dropped: 2 });
    expect(r.events).toEqual(['semaphore:released p-gone', 'semaphore:left w-ext', 'semaphore:left w-gone', 'semaphore:acquired w-p']);
    expect(r.last!.events[1]!.data).toEqual({ holder: 'w-ext', reason: 'daemon restart: its client left with the old daemon' });
    expect(r.holders).toEqual(['ext', 'w-p']);
    // Refreshed, but a staleness found before stays.
    expect(r.state.holds[0]).toMatchObject({ heartbeatAt: r.now, staleAt: 5 });
  });
});
