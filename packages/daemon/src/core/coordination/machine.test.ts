import { describe, expect, it } from 'vitest';
import { Resource, ask, settings } from './test-support.js';
import { GrantRejected } from './types.js';

describe('acquire', () => {
  it('a free lock is granted at once; asking again while holding is a heartbeat', () => {
    const r = new Resource(settings('lock'));
    expect(r.step(ask('a'))).toEqual({ granted: true });
    expect(r.events).toEqual(['lock:acquired a']);
    expect(r.last!.events[0]!.data).toEqual({ holder: 'a', weight: 1 });
    expect(r.state.holds[0]).toMatchObject({ acquiredAt: r.now, heartbeatAt: r.now, heartbeatMs: 1000, timeoutMs: null, staleAt: null });
    r.now += 500;
    expect(r.step(ask('a', 1, { phase: 'merge' }))).toEqual({ granted: true });
    expect(r.events).toEqual([]);
    expect(r.state.holds[0]).toMatchObject({ heartbeatAt: r.now, phase: 'merge', acquiredAt: r.now - 500 });
  });

  it('a held lock puts the next one in line and says where; without queueing nothing is left behind', () => {
    const r = new Resource(settings('lock'));
    r.step(ask('a'));
    expect(r.step(ask('b'))).toEqual({ granted: false, queued: true, position: 1, detail: 'held by a; next in line' });
    expect(r.events).toEqual(['lock:waiting b']);
    expect(r.step(ask('c', 1, { queue: false }))).toEqual({ granted: false, queued: false, position: 2, detail: 'held by a; 1 ahead in line' });
    expect(r.events).toEqual([]);
    expect(r.line).toEqual(['b']);
  });

  it('asking again while in line keeps the place', () => {
    const r = new Resource(settings('lock'));
    r.step(ask('a'));
    r.step(ask('b'));
    r.step(ask('c'));
    expect(r.step(ask('c'))).toMatchObject({ granted: false, queued: true, position: 2 });
    expect(r.line).toEqual(['b', 'c']);
  });

  it('the head of the line asking again when there is room is granted (a place kept over a restart)', () => {
    const r = new Resource(settings('lock'));
    r.state = { holds: [], waiters: [{ holder: 'p1', holderKind: 'pipeline', weight: 1, phase: 'merge', run: 4, since: r.now - 50 }] };
    expect(r.step(ask('p1', 1, { kind: 'pipeline', phase: 'merge' }))).toEqual({ granted: true });
    expect(r.events).toEqual(['lock:acquired p1']);
    expect(r.effects).toEqual([{ type: 'wake', holder: 'p1' }]);
    expect(r.line).toEqual([]);
  });

  it('semaphore: units up to max; a weight that can never fit is refused, nothing changes', () => {
    const r = new Resource(settings('semaphore'));
    expect(r.step(ask('a', 2)).granted).toBe(true);
    expect(r.step(ask('b', 2))).toEqual({ granted: false, queued: true, position: 1, detail: '2/3 in use; next in line' });
    const before = r.state;
    expect(() => r.step(ask('d', 4))).toThrow(GrantRejected);
    expect(() => r.step(ask('d', 4))).toThrow(/semaphore agents has 3 unit\(s\); a weight of 4 can never fit/);
    expect(r.state).toBe(before);
  });
});

describe('phase runs of a pipeline holder', () => {
  it('a later run asking again takes the hold over (a phase re-run after a restart): a heartbeat, its run and phase noted', () => {
    const r = new Resource(settings('lock'));
    r.step(ask('p1', 1, { kind: 'pipeline', phase: 'merge', run: 1 }));
    r.step(ask('x'));
    r.now += 100;
    expect(r.step(ask('p1', 1, { kind: 'pipeline', phase: 'merge', run: 2 }))).toEqual({ granted: true });
    expect(r.events).toEqual([]);
    expect(r.state.holds[0]).toMatchObject({ holder: 'p1', phase: 'merge', run: 2, heartbeatAt: r.now });
    expect(r.line).toEqual(['x']);
  });

  it('a release by an earlier run leaves a later run\'s hold and place in line alone; by the same run it releases', () => {
    const r = new Resource(settings('lock'));
    r.step(ask('p1', 1, { kind: 'pipeline', phase: 'b', run: 5 }));
    expect(r.step({ type: 'release', holder: 'p1', reason: 'phase ended', run: 4 })).toBe(false);
    expect(r.events).toEqual([]);
    expect(r.holders).toEqual(['p1']);
    r.step(ask('x'));
    r.step({ type: 'release', holder: 'x', reason: 'done' });
    r.step(ask('q'));
    expect(r.step({ type: 'release', holder: 'p1', reason: 'phase ended', run: 5 })).toBe(true);
    expect(r.holders).toEqual(['q']);
    // In line with run 7: a release by run 6 (or twice by run 5) does not take the place.
    r.step(ask('p1', 1, { kind: 'pipeline', phase: 'c', run: 7 }));
    r.step({ type: 'release', holder: 'p1', reason: 'phase ended', run: 6 });
    r.step({ type: 'release', holder: 'p1', reason: 'phase ended', run: 5 });
    expect(r.line).toEqual(['p1']);
    // Without a run (a user's oj lock release) it goes as always.
    r.step({ type: 'release', holder: 'p1', reason: 'user' });
    expect(r.line).toEqual([]);
  });
});

describe('wait: first come, first served', () => {
  it('a light request never jumps a heavy head of the line', () => {
    const r = new Resource(settings('semaphore'));
    r.step(ask('a', 2));
    r.step(ask('b', 2));
    expect(r.step(ask('c', 1))).toMatchObject({ granted: false, position: 2 });
    expect(r.holders).toEqual(['a']);
  });

  it('a release hands the room to the head of the line, then to those behind it while they fit', () => {
    const r = new Resource(settings('semaphore'));
    r.step(ask('a', 3));
    r.now += 10;
    r.step(ask('b', 2));
    r.step(ask('c', 1));
    r.step(ask('d', 1));
    r.now += 90;
    expect(r.step({ type: 'release', holder: 'a', reason: 'done' })).toBe(true);
    expect(r.events).toEqual(['semaphore:released a', 'semaphore:acquired b', 'semaphore:acquired c']);
    expect(r.last!.events[1]!.data).toEqual({ holder: 'b', weight: 2, waitedMs: 90 });
    expect(r.effects).toEqual([
      { type: 'wake', holder: 'b' },
      { type: 'wake', holder: 'c' },
    ]);
    expect(r.holders).toEqual(['b', 'c']);
    expect(r.line).toEqual(['d']);
  });
});

describe('release and leave', () => {
  it('release of a place in line: it leaves, and those behind may get in', () => {
    const r = new Resource(settings('semaphore'));
    r.step(ask('a', 1));
    r.step(ask('b', 3));
    r.step(ask('c', 1));
    expect(r.step({ type: 'release', holder: 'b', reason: 'gave up' })).toBe(false);
    expect(r.events).toEqual(['semaphore:left b', 'semaphore:acquired c']);
    expect(r.last!.events[0]!.data).toEqual({ holder: 'b', reason: 'gave up' });
  });

  it('releasing what one does not have changes nothing', () => {
    const r = new Resource(settings('lock'));
    r.step(ask('a'));
    expect(r.step({ type: 'release', holder: 'x', reason: 'no' })).toBe(false);
    expect(r.events).toEqual([]);
    expect(r.holders).toEqual(['a']);
  });

  it('leave: a waiter gives up its place (no reason recorded); one granted meanwhile keeps its hold', () => {
    const r = new Resource(settings('lock'));
    r.step(ask('a'));
    r.step(ask('b'));
    expect(r.step({ type: 'leave', holder: 'b' })).toBe(false);
    expect(r.last!.events).toEqual([{ name: 'lock:left', subject: 'b', data: { holder: 'b' } }]);
    expect(r.step({ type: 'leave', holder: 'a' })).toBe(true);
    expect(r.holders).toEqual(['a']);
    expect(r.step({ type: 'leave', holder: 'z' })).toBe(false);
  });

  it('force-release frees every holder, hands over, and asks for their phases to be failed', () => {
    const r = new Resource(settings('semaphore'));
    r.step(ask('a', 2));
    r.step(ask('b', 1));
    r.step(ask('c', 3));
    const released = r.step({ type: 'forceRelease', reason: 'stuck' });
    expect(released.map((h) => h.holder)).toEqual(['a', 'b']);
    expect(r.events).toEqual(['semaphore:released a', 'semaphore:released b', 'semaphore:acquired c']);
    expect(r.effects).toContainEqual({ type: 'abort', holder: 'a', reason: 'semaphore agents was force-released: stuck', orRelease: null });
    expect(r.holders).toEqual(['c']);
  });
});

describe('heartbeat', () => {
  it('refreshes the hold and forgets an earlier staleness', () => {
    const r = new Resource(settings('lock'));
    r.step(ask('a'));
    r.state = { ...r.state, holds: [{ ...r.state.holds[0]!, staleAt: r.now, staleReason: 'silent' }] };
    r.now += 5000;
    const h = r.step({ type: 'heartbeat', holder: 'a' });
    expect(h).toMatchObject({ heartbeatAt: r.now, staleAt: null, staleReason: null });
    expect(r.events).toEqual([]);
  });

  it('from someone who does not hold it: refused with who does, and how to take it', () => {
    const r = new Resource(settings('lock'));
    expect(() => r.step({ type: 'heartbeat', holder: 'x' })).toThrow('x does not hold lock main (it is free)');
    r.step(ask('a'));
    try {
      r.step({ type: 'heartbeat', holder: 'x' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(GrantRejected);
      expect((err as GrantRejected).message).toBe('x does not hold lock main (held by a)');
      expect((err as GrantRejected).hint).toBe('oj lock acquire main --holder x');
    }
  });

  it('attach: a hold that becomes a running phase gets a fresh heartbeat; nothing for one not held', () => {
    const r = new Resource(settings('lock'));
    r.step(ask('p1', 1, { kind: 'pipeline' }));
    r.now += 700;
    r.step({ type: 'attach', holder: 'p1' });
    expect(r.state.holds[0]!.heartbeatAt).toBe(r.now);
    const before = r.state;
    r.step({ type: 'attach', holder: 'zz' });
    expect(r.state).toEqual(before);
  });
});

describe('a request again with another weight', () => {
  it('is refused while holding, and while waiting: nothing changes', () => {
    const r = new Resource(settings('semaphore'));
    r.step(ask('a', 1));
    r.step(ask('b', 3));
    const before = r.state;
    expect(() => r.step(ask('a', 3))).toThrow(new GrantRejected('a already holds 1 unit(s) of semaphore agents, not 3', 'oj semaphore release agents --holder a, then acquire 3'));
    expect(() => r.step(ask('b', 1))).toThrow(new GrantRejected('b already waits for 3 unit(s) of semaphore agents, not 1', 'oj semaphore release agents --holder b, then acquire 1'));
    expect(r.state).toBe(before);
    expect(r.step(ask('a', 1))).toEqual({ granted: true });
  });
});
