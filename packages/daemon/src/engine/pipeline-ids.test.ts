import { describe, expect, it } from 'vitest';
import { registerSecretEnv } from '../log/redact.js';
import { allocateId, allocateKey, allocateNumber, highestNumber, idWithNumber, numberOfId, type IdCounter } from '../core/pipeline-id-numbers.js';
import { baseId, inputHash, projectTag } from './pipeline-ids.js';

/** An in-memory IdCounter that counts its look-ups. */
function memoryCounter(ids: string[] = []) {
  const taken = new Set(ids);
  const counters = new Map<string, number>();
  const calls = { last: 0, highestExisting: 0, taken: 0, remember: 0 };
  const counter: IdCounter = {
    last: (base) => (calls.last++, counters.get(base) ?? null),
    highestExisting: (base) => (calls.highestExisting++, highestNumber(base, taken)),
    taken: (id) => (calls.taken++, taken.has(id)),
    remember: (base, n) => (calls.remember++, counters.set(base, n)),
  };
  const take = (base: string) => {
    const id = allocateId(base, counter);
    taken.add(id);
    return id;
  };
  return { counter, calls, take, taken };
}

describe('pipeline id numbers', () => {
  it('keeps the id format: base, base-2, base-3', () => {
    expect([1, 2, 3, 10].map((n) => idWithNumber('build-auth', n))).toEqual(['build-auth', 'build-auth-2', 'build-auth-3', 'build-auth-10']);
  });

  it('numberOfId reads only base and base-N, never another base that starts alike', () => {
    expect(numberOfId('build-auth', 'build-auth')).toBe(1);
    expect(numberOfId('build-auth', 'build-auth-2')).toBe(2);
    expect(numberOfId('build-auth', 'build-auth-4000')).toBe(4000);
    expect(numberOfId('build-auth', 'build-auth-2x')).toBeNull();
    expect(numberOfId('build-auth', 'build-auth-2-3')).toBeNull();
    expect(numberOfId('build-auth', 'build-auth-02')).toBeNull();
    expect(numberOfId('build-auth', 'build-auth-1')).toBeNull();
    expect(numberOfId('build-auth', 'build-auth-')).toBeNull();
    expect(numberOfId('build-auth', 'build-authx')).toBeNull();
    expect(numberOfId('build-auth', 'build')).toBeNull();
    expect(numberOfId('build-auth', 'build-auth-99999999999999999999')).toBeNull();
    expect(highestNumber('build-auth', ['build-auth', 'build-auth-7', 'build-auth-2-9', 'build-auth-10x', 'build-auth-3'])).toBe(7);
    expect(highestNumber('build-auth', ['build-auth-2x'])).toBe(0);
  });
});

describe('allocateId', () => {
  it('hands out base, base-2, base-3... with a constant number of look-ups each', () => {
    const m = memoryCounter();
    expect([m.take('b'), m.take('b'), m.take('b')]).toEqual(['b', 'b-2', 'b-3']);
    for (let i = 4; i <= 500; i++) m.take('b');
    const before = { ...m.calls };
    expect(m.take('b')).toBe('b-501');
    expect(m.calls.last - before.last).toBe(1);
    expect(m.calls.taken - before.taken).toBe(1);
    expect(m.calls.remember - before.remember).toBe(1);
    // A new base starts at itself: the existing ids are never scanned.
    expect(m.calls.highestExisting).toBe(0);
  });

  it('a base with ids but no counter yet (an older database) continues after its highest number', () => {
    const m = memoryCounter(['fix', 'fix-2', 'fix-9', 'fix-9-2', 'fix-10x']);
    expect(m.take('fix')).toBe('fix-10');
    expect(m.take('fix')).toBe('fix-11');
  });

  it('skips an id another base already took', () => {
    const m = memoryCounter();
    expect(m.take('build-auth-2')).toBe('build-auth-2'); // pipeline build-auth with input "2"
    expect(m.take('build-auth')).toBe('build-auth');
    expect(m.take('build-auth')).toBe('build-auth-3');
    expect(m.take('build-auth-2')).toBe('build-auth-2-2');
    expect(m.take('build-auth')).toBe('build-auth-4');
  });

  it('never reuses a number, even when that pipeline is gone', () => {
    const m = memoryCounter();
    m.take('x');
    m.take('x');
    m.taken.delete('x-2');
    expect(m.take('x')).toBe('x-3');
  });
});

describe('ids per project, keys across projects', () => {
  /** Creates a pipeline of `base` in `project`: its id from that project's counter, its key from the keys' counter. */
  function world() {
    const projects = new Map<string, ReturnType<typeof memoryCounter>>();
    const keys = memoryCounter();
    const create = (project: string, base: string) => {
      if (!projects.has(project)) projects.set(project, memoryCounter());
      const ids = projects.get(project)!;
      const n = allocateNumber(base, ids.counter);
      ids.taken.add(idWithNumber(base, n));
      const key = allocateKey(base, n, projectTag(project), keys.counter);
      keys.taken.add(key);
      return { id: idWithNumber(base, n), key };
    };
    return { create, keys };
  }

  it("each project's first build-auth is build-auth; the key is the id where no pipeline had it, else qualified by the project", () => {
    const w = world();
    expect(w.create('/work/one', 'build-auth')).toEqual({ id: 'build-auth', key: 'build-auth' });
    const two = w.create('/work/two', 'build-auth');
    expect(two.id).toBe('build-auth');
    expect(two.key).toBe(`build-auth.${projectTag('/work/two')}`);
    expect(two.key).toMatch(/^build-auth\.two-[0-9a-f]{8}$/);
    // Numbers go on per project; a key is plain again once its id is new everywhere.
    expect(w.create('/work/two', 'build-auth')).toEqual({ id: 'build-auth-2', key: 'build-auth-2' });
    expect(w.create('/work/one', 'build-auth')).toEqual({ id: 'build-auth-2', key: `build-auth-2.${projectTag('/work/one')}` });
    expect(new Set(w.keys.taken).size).toBe(4);
  });

  it('a key once handed out is never handed out again, even when its pipeline is gone; a taken qualified key gets a suffix', () => {
    const w = world();
    w.create('/a', 'x');
    w.keys.taken.delete('x');
    // /b's first x: x was handed out before (its pipeline was pruned since), so it is not reused.
    expect(w.create('/b', 'x').key).toBe(`x.${projectTag('/b')}`);
    const keys = memoryCounter([`y.${projectTag('/c')}`]);
    keys.counter.remember('y', 1);
    expect(allocateKey('y', 1, projectTag('/c'), keys.counter)).toBe(`y.${projectTag('/c')}-2`);
  });

  it('project tags are readable and tell apart projects of the same name', () => {
    expect(projectTag('/home/me/Web App')).toMatch(/^web-app-[0-9a-f]{8}$/);
    expect(projectTag('/a/web')).not.toBe(projectTag('/b/web'));
    expect(projectTag('/')).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe('baseId', () => {
  const secret = 'Ids-Secret-9f2k';
  registerSecretEnv({ IDS_TEST_TOKEN: secret, IDS_SHORT_KEY: 'abc' });

  it('names a pipeline after its first input, readable', () => {
    expect(baseId('build', { name: 'Auth Flow' }, ['name'])).toBe('build-auth-flow');
    expect(baseId('build', { item: { id: 42 } }, ['item'])).toBe('build-42');
    expect(baseId('build', {}, [])).toBe('build');
  });

  it('puts a stable hash of the input in place of one holding a known secret value', () => {
    const id = baseId('sec', { tok: secret }, ['tok']);
    expect(id).toMatch(/^sec-[0-9a-f]{8}$/);
    expect(id).toBe(`sec-${inputHash(secret)}`);
    expect(baseId('sec', { tok: secret }, ['tok'])).toBe(id);
    // Anywhere in the input, whatever the case the slug would give it, and in an item id.
    const around = baseId('sec', { tok: `deploy ${secret} now` }, ['tok']);
    expect(around).toBe(`sec-${inputHash(`deploy ${secret} now`)}`);
    expect(around).not.toBe(id);
    expect(around.toLowerCase()).not.toContain(secret.toLowerCase());
    expect(baseId('sec', { item: { id: secret } }, ['item'])).toBe(id);
  });

  it('keeps the whole hash after a long pipeline name', () => {
    const id = baseId('a'.repeat(60), { tok: secret }, ['tok']);
    expect(id).toBe(`${'a'.repeat(39)}-${inputHash(secret)}`);
    expect(id.length).toBeLessThanOrEqual(48);
  });

  it('leaves alone values too short to be secrets (they would hide ordinary words)', () => {
    expect(baseId('sec', { tok: 'abc' }, ['tok'])).toBe('sec-abc');
  });

  it('asks the given test which text is secret', () => {
    expect(baseId('sec', { tok: 'plain-words' }, ['tok'], (t) => t.includes('plain'))).toBe(`sec-${inputHash('plain-words')}`);
    expect(baseId('sec', { tok: 'plain-words' }, ['tok'], () => false)).toBe('sec-plain-words');
  });
});
