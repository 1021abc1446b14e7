import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { allocateId } from '../core/pipeline-id-numbers.js';
import { newPipelineState } from '../core/pipeline-state.js';
import { Storage } from './storage.js';

let dir: string;
let storage: Storage;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oj-pipeline-ids-'));
  storage = Storage.open(join(dir, 'oj.db'));
});
afterEach(() => {
  vi.restoreAllMocks();
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (id: string) =>
  storage.pipelines.insert({
    state: newPipelineState(id, 1000),
    project: '/p',
    runbook: 'rb',
    name: 'work',
    definition: { runbook: 'rb', name: 'work', inputs: [], defaults: {}, phases: [{ name: 'work', run: 'true', pre: [], post: [] }], hooks: {} },
    vars: {},
    workspace: null,
    label: null,
    archived: false,
    owner: null,
  });

/** Allocates one id of `base` (counting the queries it runs and the rows they read), then inserts it. */
function create(base: string): { id: string; queries: number; rows: number } {
  const runner = storage.runner;
  const { all, first, run } = runner;
  let queries = 0;
  let rows = 0;
  runner.all = ((q) => {
    queries++;
    const r = all.call(runner, q);
    rows += r.length;
    return r;
  }) as typeof all;
  runner.first = ((q) => {
    queries++;
    const r = first.call(runner, q);
    if (r !== undefined) rows++;
    return r;
  }) as typeof first;
  runner.run = ((q) => {
    queries++;
    return run.call(runner, q);
  }) as typeof run;
  let id: string;
  try {
    id = storage.write(() => allocateId(base, storage.pipelineIds));
  } finally {
    runner.all = all;
    runner.first = first;
    runner.run = run;
  }
  insert(id);
  return { id, queries, rows };
}

describe('pipeline id allocation (real SQLite)', () => {
  it('takes the same few queries for the 3,000th pipeline of a base as for the 3rd: no trying -2, -3... in turn', () => {
    const made = Array.from({ length: 3000 }, () => create('build-auth'));
    expect(made.slice(0, 3).map((m) => m.id)).toEqual(['build-auth', 'build-auth-2', 'build-auth-3']);
    expect(made[2999]!.id).toBe('build-auth-3000');
    expect(new Set(made.map((m) => m.id)).size).toBe(3000);
    const steady = made.slice(1).map((m) => m.queries);
    // counter read, one free-id check, counter write
    expect(new Set(steady)).toEqual(new Set([3]));
    expect(Math.max(...made.slice(1).map((m) => m.rows))).toBeLessThanOrEqual(1);
  });

  it('a database whose pipelines predate the counters continues after the highest number, reading that base\'s ids once', () => {
    for (const id of ['fix', 'fix-2', 'fix-41', 'fix-41-2', 'fix-9x', 'fixed', 'fix-a']) insert(id);
    const first = create('fix');
    expect(first.id).toBe('fix-42');
    const second = create('fix');
    expect(second.id).toBe('fix-43');
    expect(second.queries).toBe(3);
    expect(second.queries).toBeLessThan(first.queries);
  });

  it('skips an id another base took, and a counter survives a reopen', () => {
    expect(create('build-auth-2').id).toBe('build-auth-2');
    expect(create('build-auth').id).toBe('build-auth');
    expect(create('build-auth').id).toBe('build-auth-3');
    storage.close();
    storage = Storage.open(join(dir, 'oj.db'));
    expect(create('build-auth').id).toBe('build-auth-4');
    expect(create('build-auth-2').id).toBe('build-auth-2-2');
  });
});
