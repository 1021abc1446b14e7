import { describe, expect, it } from 'vitest';
import { itemKey, itemPaths, itemShape, itemTargets, parseSourceOutput } from './monitor-items.js';

describe('parseSourceOutput', () => {
  it('reads a JSON array of objects', () => {
    expect(parseSourceOutput('[{"id":"a"},{"id":"b","n":2}]')).toEqual([{ id: 'a' }, { id: 'b', n: 2 }]);
  });
  it('reads one JSON object per line', () => {
    expect(parseSourceOutput('{"id":"a"}\n{"id":"b"}\n')).toEqual([{ id: 'a' }, { id: 'b' }]);
  });
  it('reads lines as {line, path, name, id}', () => {
    expect(parseSourceOutput('/tmp/x/old.log\n\n  rel/dir  \n')).toEqual([
      { line: '/tmp/x/old.log', path: '/tmp/x/old.log', name: 'old.log', id: '/tmp/x/old.log' },
      { line: 'rel/dir', path: 'rel/dir', name: 'dir', id: 'rel/dir' },
    ]);
  });
  it('treats a bracketed line that is not JSON as text, and nothing as no items', () => {
    expect(parseSourceOutput('[warn] something')[0]).toMatchObject({ line: '[warn] something' });
    expect(parseSourceOutput('  \n')).toEqual([]);
  });
  it('wraps scalars of a JSON array', () => {
    expect(parseSourceOutput('["a", 3]')).toEqual([
      { line: 'a', path: 'a', name: 'a', id: 'a', value: 'a' },
      { line: '3', path: '3', name: '3', id: '3', value: 3 },
    ]);
  });
});

describe('itemKey', () => {
  it('prefers id, then name, then path, then line, then the JSON text', () => {
    expect(itemKey({ id: 'x', name: 'n' })).toBe('x');
    expect(itemKey({ id: 7 })).toBe('7');
    expect(itemKey({ name: 'n', path: '/p' })).toBe('n');
    expect(itemKey({ path: '/p' })).toBe('/p');
    expect(itemKey({ line: 'l' })).toBe('l');
    expect(itemKey({ a: 1 })).toBe('{"a":1}');
  });
});

describe('itemTargets', () => {
  it('recognises oj list shapes', () => {
    const pipeline = { id: 'build-a', status: 'running', phase: 'work', failureCount: 0, phases: ['work'], session: 's1' };
    expect(itemShape(pipeline)).toBe('pipeline');
    expect(itemTargets(pipeline)).toMatchObject({ pipeline: 'build-a', session: 's1', phase: 'work' });
    const session = { id: 's1', agent: 'a.agent.x', restarts: 0, dir: '/d', status: 'running', pipeline: 'build-a' };
    expect(itemTargets(session)).toMatchObject({ session: 's1', pipeline: 'build-a' });
    const lock = { id: 'f.lock.main', name: 'main', held: true, waiters: [], heartbeatMs: 1, holder: { holder: 'p-1', kind: 'pipeline', stale: true } };
    expect(itemTargets(lock)).toMatchObject({ lock: 'f.lock.main', pipeline: 'p-1' });
    const sem = { id: 'f.semaphore.s', max: 2, used: 1, holders: [{ holder: 'x', stale: true }] };
    expect(itemTargets(sem)).toMatchObject({ semaphore: 'f.semaphore.s', holders: [{ holder: 'x', stale: true }] });
    const qi = { queue: 'bugs', id: 'B1', origin: 'added', attempts: 3, status: 'dead' };
    expect(itemTargets(qi)).toMatchObject({ queueItem: { queue: 'bugs', id: 'B1' }, pipeline: null });
    const worker = { name: 'w', handler: 'p', concurrency: 1, queue: 'q' };
    expect(itemTargets(worker)).toMatchObject({ worker: 'w', queueItem: null });
    const ws = { name: 'ws', path: '/x/ws', managed: true, pipelines: [] };
    expect(itemTargets(ws)).toMatchObject({ workspace: 'ws' });
  });
  it('reads plain fields of other items', () => {
    expect(itemTargets({ pipeline: 'p', session: 's', lock: 'l', queue: 'q', item: 'i' })).toMatchObject({
      pipeline: 'p',
      session: 's',
      lock: 'l',
      queueItem: { queue: 'q', id: 'i' },
    });
  });
});

describe('itemPaths', () => {
  it('lists the path-like fields', () => {
    expect(itemPaths({ path: '/a', workspace: '/w', cwd: '/c', line: 'l' })).toEqual(['/a', '/w', 'l']);
  });
});
