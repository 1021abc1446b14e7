import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventRecord, PipelineUpdate } from '@oj/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import { EventLog } from '../events/event-log.js';
import { ProjectRegistry } from '../projects/project-registry.js';
import { Storage } from '../storage/storage.js';
import type { PipelineDefinition } from '../core/pipeline-definition.js';
import { PipelineEngine } from './pipeline-engine.js';
import type { PhaseOutcome } from './phase-runner.js';
import { PipelineService } from './pipeline-service.js';

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

/** A real service over a real engine and database; phases end when the test says so. */
function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'oj-pipeline-service-'));
  dirs.push(dir);
  const storage = Storage.open(join(dir, 'oj.db'));
  const events = new EventLog(storage);
  const logger = winston.createLogger({ silent: true });
  const finishers: ((o: PhaseOutcome) => void)[] = [];
  const logsDir = join(dir, 'logs');
  const engine = new PipelineEngine(storage, events, logger, logsDir, {
    startPhase: () => ({ stop: () => {}, done: new Promise<PhaseOutcome>((resolve) => finishers.push(resolve)) }),
    resolveVars: () => ({ vars: {}, workspace: null }),
    prepareWorkspace: async () => {},
    finished: () => {},
    runHook: () => {},
    recover: () => {},
    maxPhaseVisits: () => 10,
  });
  const removed: string[] = [];
  const service = new PipelineService({
    engine,
    storage,
    events,
    projects: new ProjectRegistry(logger),
    logsDir,
    removeWorkspace: (_project, path) => {
      removed.push(path);
      return Promise.resolve();
    },
  });
  const notified: { id: string; update: PipelineUpdate; cause: 'step' | 'amend' }[] = [];
  engine.subscribe((id, update, cause) => notified.push({ id, update, cause }));
  const heard: EventRecord[] = [];
  events.follow({ deliver: (e) => heard.push(e) });
  const finished = async () => {
    const id = engine.create({ project: dir, definition, inputs: {} }).state.id;
    const ended = engine.waitForEnd(id);
    finishers.shift()!({ ok: true, exitCode: 0 });
    await ended;
    return id;
  };
  return { dir, storage, engine, service, notified, heard, finished, logsDir, removed };
}

describe('PipelineService: label and archive', () => {
  it('a label is written with its event; followers hear both after the commit; the same label again tells nobody', async () => {
    const t = setUp();
    const id = await t.finished();
    t.notified.length = 0;
    const r = t.service.label(id, 'urgent');
    expect(r.label).toBe('urgent');
    expect(t.engine.store.get(id)?.label).toBe('urgent');
    expect(t.heard.filter((e) => e.name === 'pipeline:labelled').map((e) => e.data)).toEqual([{ pipeline: t.engine.store.handleOf(id), label: 'urgent', previous: null }]);
    expect(t.notified.map((n) => n.update.kind === 'status' && n.update.pipeline.label)).toEqual(['urgent']);
    // Heard as a change of its record, not a step of its machine (an open escalation is not superseded by it).
    expect(t.notified.map((n) => n.cause)).toEqual(['amend']);
    t.service.label(id, 'urgent');
    expect(t.heard.filter((e) => e.name === 'pipeline:labelled')).toHaveLength(1);
    expect(t.notified).toHaveLength(1);
    t.storage.close();
  });

  it('inside an outer write that throws: no label, no event, no notification', async () => {
    const t = setUp();
    const id = await t.finished();
    t.notified.length = 0;
    const before = t.heard.length;
    expect(() =>
      t.storage.write(() => {
        t.service.label(id, 'urgent');
        t.service.archive(id);
        expect(t.notified).toEqual([]);
        throw new Error('the enclosing change fails');
      }),
    ).toThrow('the enclosing change fails');
    expect(t.engine.store.get(id)).toMatchObject({ label: null, archived: false });
    expect(t.heard.length).toBe(before);
    expect(t.notified).toEqual([]);
    t.storage.close();
  });

  it('archive refuses a pipeline under way and changes nothing', () => {
    const t = setUp();
    const id = t.engine.create({ project: t.dir, definition, inputs: {} }).state.id;
    t.notified.length = 0;
    expect(() => t.service.archive(id)).toThrow(/only finished pipelines are archived/);
    expect(t.engine.store.get(id)?.archived).toBe(false);
    expect(t.heard.some((e) => e.name === 'pipeline:archived')).toBe(false);
    expect(t.notified).toEqual([]);
    t.storage.close();
  });
});

describe('PipelineService: prune', () => {
  it('removes the rows with their events in one write, then the workspaces and logs; a dry run changes nothing', async () => {
    const t = setUp();
    const a = await t.finished();
    const b = await t.finished();
    const running = t.engine.create({ project: t.dir, definition, inputs: {} }).state.id;
    t.storage.write(() => {
      const r = t.engine.store.get(a)!;
      t.engine.store.save({ ...r, vars: { ...r.vars, workspace: join(t.dir, 'ws-a') } });
    });
    for (const id of [a, b]) {
      mkdirSync(join(t.logsDir, id), { recursive: true });
      writeFileSync(join(t.logsDir, id, '001-work.log'), 'x');
    }
    const handles = [a, b].map((id) => t.engine.store.handleOf(id)).sort();
    expect((await t.service.prune({ failed: false, dryRun: true })).sort()).toEqual(handles);
    expect(t.engine.store.exists(a) && t.engine.store.exists(b)).toBe(true);
    expect(t.heard.some((e) => e.name === 'pipeline:pruned')).toBe(false);

    expect((await t.service.prune({ failed: false })).sort()).toEqual(handles);
    expect([t.engine.store.exists(a), t.engine.store.exists(b), t.engine.store.exists(running)]).toEqual([false, false, true]);
    expect(t.heard.filter((e) => e.name === 'pipeline:pruned').map((e) => e.subject).sort()).toEqual([a, b].sort());
    expect(t.removed).toEqual([join(t.dir, 'ws-a')]);
    expect([existsSync(join(t.logsDir, a)), existsSync(join(t.logsDir, b))]).toEqual([false, false]);
    t.storage.close();
  });
});
