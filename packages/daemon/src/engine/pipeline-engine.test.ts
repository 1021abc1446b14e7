import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventRecord, PipelineUpdate } from '@oj/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import { EventLog } from '../events/event-log.js';
import { Storage } from '../storage/storage.js';
import type { PipelineDefinition } from '../core/pipeline-definition.js';
import { PipelineEngine, type CreatePipeline } from './pipeline-engine.js';
import type { PhaseOutcome } from './phase-runner.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const definition: PipelineDefinition = {
  runbook: 'build',
  name: 'build',
  inputs: [],
  defaults: {},
  phases: [{ name: 'work', run: 'true', pre: [], post: [] }],
  hooks: {},
};

/** A real engine on a real database; the phase runner only records what it was asked to start. */
function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'oj-engine-'));
  dirs.push(dir);
  const storage = Storage.open(join(dir, 'oj.db'));
  const events = new EventLog(storage);
  const started: string[] = [];
  const finishers: ((o: PhaseOutcome) => void)[] = [];
  const engine = new PipelineEngine(storage, events, winston.createLogger({ silent: true }), join(dir, 'logs'), {
    startPhase: (record, phase, run) => {
      started.push(`${record.state.id}:${phase.name}#${run}`);
      return { stop: () => {}, done: new Promise<PhaseOutcome>((resolve) => finishers.push(resolve)) };
    },
    resolveVars: () => ({ vars: {}, workspace: null }),
    prepareWorkspace: async () => {},
    finished: () => {},
    runHook: () => {},
    recover: () => {},
    maxPhaseVisits: () => 10,
  });
  const notified: { id: string; update: PipelineUpdate }[] = [];
  engine.subscribe((id, update) => notified.push({ id, update }));
  const heard: EventRecord[] = [];
  events.follow({ deliver: (e) => heard.push(e) });
  const create: CreatePipeline = { project: dir, definition, inputs: {} };
  return { storage, engine, started, finishers, notified, heard, create };
}

describe('PipelineEngine: effects only after the outermost commit', () => {
  it('a create on its own starts its first phase and tells the followers', () => {
    const t = setUp();
    const r = t.engine.create(t.create);
    expect(t.started).toEqual([`${r.state.id}:work#1`]);
    expect(t.notified.map((n) => n.id)).toContain(r.state.id);
    expect(t.heard.map((e) => e.name)).toContain('pipeline:started');
    t.storage.close();
  });

  it('an outer write that throws after an inner create leaves no pipeline, no started process and no notification', () => {
    const t = setUp();
    let id: string | null = null;
    expect(() =>
      t.storage.write(() => {
        id = t.engine.create(t.create).state.id;
        throw new Error('the enclosing change fails');
      }),
    ).toThrow('the enclosing change fails');
    expect(id).not.toBeNull();
    expect(t.engine.store.get(id!)).toBeUndefined();
    expect(t.engine.store.allIds()).toEqual([]);
    expect(t.started).toEqual([]);
    expect(t.notified).toEqual([]);
    expect(t.heard).toEqual([]);
    t.storage.close();
  });

  it('inside an outer write that commits, the phase starts once that write has committed, not before', () => {
    const t = setUp();
    const id = t.storage.write(() => {
      const r = t.engine.create(t.create);
      expect(t.started).toEqual([]);
      expect(t.notified).toEqual([]);
      return r.state.id;
    });
    expect(t.started).toEqual([`${id}:work#1`]);
    expect(t.notified.some((n) => n.id === id && n.update.kind === 'status')).toBe(true);
    t.storage.close();
  });

  it('a phase that ends applies its outcome in one write; the pipeline completes and followers hear it after the commit', async () => {
    const t = setUp();
    const r = t.engine.create(t.create);
    const ended = t.engine.waitForEnd(r.state.id);
    t.finishers[0]!({ ok: true, exitCode: 0 });
    await expect(ended).resolves.toBe('done');
    expect(t.engine.store.get(r.state.id)?.state.status).toBe('done');
    expect(t.heard.map((e) => e.name)).toContain('pipeline:complete');
    t.storage.close();
  });
});

describe('PipelineEngine: holding a running pipeline for a human', () => {
  it('holds a running pipeline under a name, and only that name lets it go', () => {
    const t = setUp();
    const id = t.engine.create(t.create).state.id;
    expect(t.engine.holdForHuman(id, 'monitor:m', 'stuck')).toBe(true);
    expect(t.engine.store.get(id)?.state).toMatchObject({ status: 'waiting', waitingFor: { kind: 'human', name: 'monitor:m', detail: 'stuck' } });
    expect(t.engine.releaseHuman(id, 'monitor:other')).toBe(false);
    expect(t.engine.store.get(id)?.state.status).toBe('waiting');
    expect(t.engine.releaseHuman(id, 'monitor:m')).toBe(true);
    expect(t.engine.store.get(id)?.state).toMatchObject({ status: 'running', waitingFor: null });
    // The phase was never restarted: the same run goes on.
    expect(t.started).toEqual([`${id}:work#1`]);
    t.storage.close();
  });

  it('changes nothing for a pipeline that is not running, nor for an unknown one', async () => {
    const t = setUp();
    const id = t.engine.create(t.create).state.id;
    const ended = t.engine.waitForEnd(id);
    t.finishers[0]!({ ok: true, exitCode: 0 });
    await ended;
    expect(t.engine.holdForHuman(id, 'monitor:m', 'stuck')).toBe(false);
    expect(t.engine.store.get(id)?.state.status).toBe('done');
    expect(t.engine.releaseHuman(id, 'monitor:m')).toBe(false);
    expect(t.engine.holdForHuman('nope', 'monitor:m', 'x')).toBe(false);
    expect(t.engine.releaseHuman('nope', 'monitor:m')).toBe(false);
    t.storage.close();
  });
});
