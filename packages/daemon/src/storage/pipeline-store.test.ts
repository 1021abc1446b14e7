import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newPipelineState, type PipelineStatus } from '../core/pipeline-state.js';
import { openDatabase, type OpenedDatabase } from './database.js';
import { PipelineStore } from './pipeline-store.js';

let dir: string;
let db: OpenedDatabase;
let store: PipelineStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oj-pipeline-store-'));
  db = openDatabase(join(dir, 'oj.db'));
  store = new PipelineStore(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const add = (id: string, createdAt: number, o: { status?: PipelineStatus; session?: string | null; project?: string; phase?: string } = {}) =>
  store.insert({
    state: { ...newPipelineState(id, createdAt), status: o.status ?? 'running', phase: 'work' },
    project: o.project ?? '/p',
    runbook: 'rb',
    name: 'work',
    definition: { runbook: 'rb', name: 'work', inputs: [], defaults: {}, phases: [{ name: o.phase ?? 'work', run: 'true', pre: [], post: [] }], hooks: {} },
    vars: {},
    workspace: null,
    label: null,
    archived: false,
    owner: null,
    session: o.session ?? null,
  });

describe('pipeline store listing (real SQLite)', () => {
  it('hasSession filters in SQL, so a limited page is full and the count matches the same filter', () => {
    // Newest first: the newest five have no session, the older five have one.
    for (let i = 0; i < 10; i++) add(`p${i}`, 1000 + i, { session: i < 5 ? `s${i}` : null });
    const withSession = store.listInfo({ hasSession: true, limit: 3 });
    expect(withSession.map((p) => p.id)).toEqual(['p4', 'p3', 'p2']);
    expect(store.count({ hasSession: true, limit: 3 })).toBe(5);
    expect(store.listInfo({ hasSession: false }).map((p) => p.id)).toEqual(['p9', 'p8', 'p7', 'p6', 'p5']);
    expect(store.count({ hasSession: false })).toBe(5);
    expect(store.count({})).toBe(10);
  });

  it('count applies every filter of listInfo but the limit', () => {
    add('a', 1, { status: 'done' });
    add('b', 2, { status: 'failed' });
    add('c', 3, { status: 'failed', project: '/other' });
    add('d', 4, { status: 'running', session: 's' });
    expect(store.count({ statuses: ['failed'] })).toBe(2);
    expect(store.count({ statuses: ['failed'], project: '/p' })).toBe(1);
    expect(store.count({ statuses: ['running'], hasSession: true, archived: false })).toBe(1);
    expect(store.count({ archived: true })).toBe(0);
    expect(store.listInfo({ limit: 2 }).map((p) => p.id)).toEqual(['d', 'c']);
    expect(store.listInfo({ limit: 0 })).toHaveLength(4);
  });
});

describe('pipeline store reads (real SQLite)', () => {
  it('a pipeline read again keeps its definition; a row deleted and inserted again under the same key is read as it is now', () => {
    add('k', 1000, { phase: 'first' });
    expect(store.get('k')?.definition.phases[0]?.name).toBe('first');
    const r = store.get('k')!;
    store.save({ ...r, state: { ...r.state, status: 'done', updatedAt: 1001 } });
    expect(store.get('k')).toMatchObject({ state: { status: 'done', updatedAt: 1001 }, definition: { phases: [{ name: 'first' }] } });
    // Deleted behind the store's back (another connection), then a new row with the same key.
    db.runner.sqlite.prepare("delete from pipelines where id = 'k'").run();
    expect(store.get('k')).toBeUndefined();
    add('k', 2000, { phase: 'second' });
    expect(store.get('k')?.definition.phases[0]?.name).toBe('second');
    store.delete('k');
    add('k', 2000, { phase: 'third' });
    expect(store.get('k')?.definition.phases[0]?.name).toBe('third');
  });
});

describe('a step saves its state only', () => {
  it('saveState writes the state (the status when it changed) and leaves the rest of the row as stored', () => {
    add('s', 1000, { phase: 'work' });
    const r = store.get('s')!;
    store.save({ ...r, label: 'kept' });
    // A record read before the label was set: a step writes none of its other columns.
    const step = { ...r, state: { ...r.state, phase: 'next', run: 2, visits: { work: 1, next: 1 }, updatedAt: 1001 } };
    store.saveState(step, r.state);
    expect(store.get('s')).toMatchObject({ label: 'kept', state: { status: 'running', phase: 'next', run: 2, visits: { work: 1, next: 1 }, updatedAt: 1001 } });
    store.saveState({ ...step, state: { ...step.state, status: 'done', phase: null, finishedAt: 1002 } }, step.state);
    expect(store.get('s')).toMatchObject({ label: 'kept', state: { status: 'done', phase: null, finishedAt: 1002 } });
    expect(store.count({ statuses: ['done'] })).toBe(1);
    expect(store.count({ statuses: ['running'] })).toBe(0);
  });
});
