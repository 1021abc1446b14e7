/**
 * For the engine's tests: a real PipelineEngine on a real database in a temp
 * dir, whose phase runner only records what it was asked to start and ends a
 * phase when the test says so; followers' notifications and heard events are
 * collected. `disposeEngineKits` (in afterEach) removes the temp dirs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventRecord, PipelineUpdate } from '@oj/protocol';
import winston from 'winston';
import { EventLog } from '../events/event-log.js';
import { Storage } from '../storage/storage.js';
import type { PipelineDefinition } from '../core/pipeline-definition.js';
import { PipelineEngine, type CreatePipeline } from './pipeline-engine.js';
import type { PhaseOutcome } from './phase-runner.js';

const dirs: string[] = [];

export function disposeEngineKits(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** One phase, `work`, running `true`. */
export const oneWorkPhase: PipelineDefinition = {
  runbook: 'build',
  name: 'build',
  inputs: [],
  defaults: {},
  phases: [{ name: 'work', run: 'true', pre: [], post: [] }],
  hooks: {},
};

export function engineKit(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), `oj-${prefix}-`));
  dirs.push(dir);
  const storage = Storage.open(join(dir, 'oj.db'));
  const events = new EventLog(storage);
  const logger = winston.createLogger({ silent: true });
  const logsDir = join(dir, 'logs');
  const started: string[] = [];
  const finishers: ((o: PhaseOutcome) => void)[] = [];
  const engine = new PipelineEngine(storage, events, logger, logsDir, {
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
  const notified: { id: string; update: PipelineUpdate; cause: 'step' | 'amend' }[] = [];
  engine.subscribe((id, update, cause) => notified.push({ id, update, cause }));
  const heard: EventRecord[] = [];
  events.follow({ deliver: (e) => heard.push(e) });
  const create: CreatePipeline = { project: dir, definition: oneWorkPhase, inputs: {} };
  return { dir, storage, events, logger, logsDir, engine, started, finishers, notified, heard, create };
}
