/**
 * Property tests of the grant machine: random sequences of events (requests
 * with random weights, releases, places given up, heartbeats from holders
 * and strangers, sweeps with random run-time facts, hand-over answers,
 * restarts, force-releases) from a seeded generator, on locks and on
 * semaphores with random chains. The invariants hold after every step. A
 * failure names its seed and step, so it replays exactly.
 */
import { describe, expect, it } from 'vitest';
import { prng as random } from '../../../../../test/prng/prng.js';
import { grantable, used } from './fit.js';
import { stepGrant } from './machine.js';
import { builtin, runbookAction } from './test-support.js';
import { EMPTY, GrantRejected, type GrantEvent, type GrantSettings, type GrantState, type GrantTransition, type RequestResult, type HolderFacts, type ResponseStep } from './types.js';

type Rng = ReturnType<typeof random>;
const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'p1', 'p2', 'p3'];
const CHAINS: ResponseStep[][] = [
  [],
  [builtin('release')],
  [builtin('escalate')],
  [builtin('release'), builtin('escalate')],
  [builtin('rollback'), builtin('reclaim'), runbookAction('page')],
  [builtin('requeue')],
];

function randomSettings(r: Rng): GrantSettings {
  const lock = r.chance(0.4);
  return {
    kind: lock ? 'lock' : 'semaphore',
    name: 'x',
    max: lock ? 1 : r.int(1, 5),
    heartbeatMs: r.pick([100, 1000]),
    timeoutMs: r.pick([null, 3000]),
    onStale: r.pick(CHAINS),
    onOrphanWork: r.pick([[], [builtin('requeue')], [runbookAction('clean')]]),
  };
}

function randomFacts(r: Rng): Map<string, HolderFacts> {
  const m = new Map<string, HolderFacts>();
  for (const n of NAMES) if (r.chance(0.5)) m.set(n, { live: r.chance(0.5), gone: r.chance(0.2) ? 'moved on' : null, owner: r.chance(0.3) ? { queue: 'q' } : null });
  return m;
}

function randomEvent(r: Rng, s: GrantSettings, st: GrantState): GrantEvent {
  const holder = r.pick(NAMES);
  const present = [...st.holds.map((h) => h.holder), ...st.waiters.map((w) => w.holder)];
  const someone = present.length && r.chance(0.7) ? r.pick(present) : holder;
  switch (r.int(0, 11)) {
    case 0:
    case 1:
    case 2:
      return {
        type: 'request',
        holder,
        holderKind: holder.startsWith('p') ? 'pipeline' : 'external',
        weight: r.int(1, s.max + 1),
        phase: r.pick([null, 'merge']),
        run: holder.startsWith('p') ? r.int(1, 4) : null,
        queue: r.chance(0.8),
      };
    case 3:
    case 4:
      return { type: 'release', holder: someone, reason: 'done', ...(someone.startsWith('p') && r.chance(0.5) ? { run: r.int(1, 4) } : {}) };
    case 5:
      return { type: 'leave', holder: someone };
    case 6:
      return { type: 'heartbeat', holder: someone };
    case 7:
      return { type: 'attach', holder: someone };
    case 8:
    case 9:
      return { type: 'sweep', facts: randomFacts(r) };
    case 10: {
      const f = randomFacts(r).get(someone) ?? { live: false, gone: null, owner: null };
      return { type: 'respond', holder: someone, holderKind: someone.startsWith('p') ? 'pipeline' : 'external', cause: r.pick(['heartbeat', 'timeout', 'gone'] as const), reason: 'silent', handed: r.chance(0.5), facts: f };
    }
    default:
      return r.chance(0.5) ? { type: 'restart', gone: new Map(NAMES.filter(() => r.chance(0.3)).map((n) => [n, 'moved on'])) } : { type: 'forceRelease', reason: 'stuck' };
  }
}

/** Fails with the seed and step, and what broke. */
function ensure(ok: boolean, where: string, what: string): void {
  if (!ok) throw new Error(`${where}: ${what}`);
}
const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The invariants of one state, and of the step from `before` to `after`. */
function check(s: GrantSettings, before: GrantState, e: GrantEvent, t: GrantTransition<unknown>, where: string): void {
  const after = t.state;
  const holders = after.holds.map((h) => h.holder);
  const line = after.waiters.map((w) => w.holder);
  ensure(used(after.holds) <= s.max, where, `over max: ${used(after.holds)} > ${s.max}`);
  if (s.kind === 'lock') ensure(holders.length <= 1, where, `two holders of a lock: ${holders.join(', ')}`);
  ensure(new Set(holders).size === holders.length, where, 'a holder holds twice');
  ensure(new Set(line).size === line.length, where, 'a waiter waits twice');
  ensure(!holders.some((h) => line.includes(h)), where, 'a holder also waits');
  ensure(grantable(s.max, after.holds, after.waiters).length === 0, where, 'a waiter waits for room that is free');
  // FIFO: those still waiting keep their order, ahead of any newcomer; nobody is granted while one ahead of it still waits.
  const beforeLine = before.waiters.map((w) => w.holder);
  const kept = line.filter((h) => beforeLine.includes(h));
  ensure(same(kept, beforeLine.filter((h) => kept.includes(h))), where, 'waiters reordered');
  ensure(same(line.slice(0, kept.length), kept), where, 'a newcomer ahead of earlier waiters');
  for (const g of holders.filter((h) => !before.holds.some((x) => x.holder === h))) {
    // Everyone who waited before a newcomer is ahead of it.
    const ahead = beforeLine.includes(g) ? beforeLine.slice(0, beforeLine.indexOf(g)) : beforeLine;
    ensure(!ahead.some((h) => line.includes(h)), where, `${g} granted while one ahead of it still waits`);
  }
  // Grants from the line wake their holder, once each.
  const woken = t.effects.flatMap((x) => (x.type === 'wake' ? [x.holder] : []));
  ensure(new Set(woken).size === woken.length, where, 'woken twice');
  ensure(woken.every((h) => holders.includes(h) && beforeLine.includes(h)), where, 'woken but not granted from the line');
  ensure(
    holders.every((h) => before.holds.some((x) => x.holder === h) || woken.includes(h) || (e.type === 'request' && e.holder === h)),
    where,
    'a new holder neither asked nor was granted from the line',
  );
  // A released holder never still holds (nor waits), unless the release is an earlier phase run's than its hold's (or place's): then nothing changes.
  if (e.type === 'release') {
    const mine = [...before.holds, ...before.waiters].find((x) => x.holder === e.holder);
    const earlier = e.run != null && mine?.run != null && e.run < mine.run;
    if (earlier) ensure(t.state === before || (same(holders, before.holds.map((h) => h.holder)) && same(line, beforeLine)), where, 'a release by an earlier run changed something');
    else ensure(!holders.includes(e.holder) && !line.includes(e.holder), where, 'released but still there');
  }
  if (e.type === 'leave' && t.reply === false) ensure(!holders.includes(e.holder) && !line.includes(e.holder), where, 'left but still there');
  if (e.type === 'forceRelease') ensure(!before.holds.some((h) => holders.includes(h.holder)), where, 'force-released but still holds');
  if (e.type === 'restart') {
    ensure(!before.holds.some((h) => h.holderKind === 'pipeline' && e.gone.has(h.holder) && holders.includes(h.holder)), where, 'gone but still holds');
    ensure(!after.waiters.some((w) => w.holderKind === 'external'), where, 'an external waiter outlived a restart');
  }
  if (e.type === 'request') ensure(holders.includes(e.holder) === (t.reply as RequestResult).granted, where, 'the reply to a request does not tell the truth');
}

/** The machine never changes the state it is given. */
function freeze(st: GrantState): GrantState {
  for (const x of [...st.holds, ...st.waiters]) Object.freeze(x);
  return Object.freeze({ holds: Object.freeze([...st.holds]), waiters: Object.freeze([...st.waiters]) });
}

describe('grant machine: invariants over random event sequences', () => {
  it('hold for 400 seeded runs of 150 steps', () => {
    let steps = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const r = random(seed);
      const s = randomSettings(r);
      let state: GrantState = EMPTY;
      let now = 1_000_000;
      for (let i = 0; i < 150; i++) {
        now += r.pick([0, 1, 50, 600, 1100, 4000]);
        const e = randomEvent(r, s, state);
        const where = `seed ${seed} step ${i} ${e.type}`;
        let t: GrantTransition<unknown>;
        try {
          t = stepGrant(state, s, e, now);
        } catch (err) {
          ensure(err instanceof GrantRejected, where, `threw ${String(err)}`);
          continue;
        }
        check(s, state, e, t, where);
        state = freeze(t.state);
        steps++;
      }
    }
    // Most steps are applied, not rejected.
    expect(steps).toBeGreaterThan(400 * 150 * 0.8);
  });
});
