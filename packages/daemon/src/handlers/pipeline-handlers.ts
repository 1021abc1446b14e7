/** pipelines.* methods: each validates, calls the pipeline service once and maps its answer. */
import { join } from 'node:path';
import { PipelineMethods } from '@oj/protocol';
import type { Logger } from 'winston';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import type { PipelineService } from '../engine/pipeline-service.js';
import { ACTIVE_STATUSES } from '../core/pipeline-state.js';
import type { RpcRouter } from '../rpc/rpc-router.js';
import { redactValue } from '../log/redact.js';
import { toPipelineInfo } from '../storage/pipeline-store.js';
import type { Storage } from '../storage/storage.js';
import { followPipeline } from '../engine/output-feed.js';

export interface PipelineHandlerDeps {
  engine: PipelineEngine;
  pipelines: PipelineService;
  /** What a follow's output feed reads (the pipeline's runs, its logs). */
  storage: Storage;
  /** Where each pipeline's phase logs are (`<logsDir>/<key>/`). */
  logsDir: string;
  logger: Logger;
  /** A follower that reads none of its waiting output this long is sent no more output. */
  followStallMs: number;
}

export function registerPipelineHandlers(router: RpcRouter, d: PipelineHandlerDeps): void {
  const { engine, pipelines, storage } = d;
  let nextSub = 1;

  router.handle(PipelineMethods.Create, (p) => ({ pipeline: toPipelineInfo(pipelines.create(p.project, p.pipeline, p.inputs ?? {}, p.label)) }));

  router.handle(PipelineMethods.List, (p) =>
    pipelines.list({
      project: p?.project,
      statuses: p?.active ? [...ACTIVE_STATUSES] : p?.status,
      phases: p?.phase,
      archived: p?.archived ?? false,
      hasSession: p?.hasSession,
      limit: p?.limit,
    }),
  );

  router.handle(PipelineMethods.Show, (p) => {
    const s = pipelines.show(p.id, p.project);
    // Errors and checkpoint messages are shown with known secret values redacted (log/redact.ts).
    return { pipeline: toPipelineInfo(s.record), runs: redactValue(s.runs), checkpoints: redactValue(s.checkpoints), history: s.history };
  });

  router.handle(PipelineMethods.Transition, (p) => ({
    pipeline: toPipelineInfo(engine.request(p.id, { type: 'transition', phase: p.phase }, p.project)),
  }));

  router.handle(PipelineMethods.Resume, (p) => ({
    pipeline: toPipelineInfo(engine.request(p.id, { type: 'resume' }, p.project)),
  }));

  router.handle(PipelineMethods.Cancel, (p) => ({
    pipeline: toPipelineInfo(engine.request(p.id, { type: 'cancel', reason: p.reason ?? 'cancelled by user' }, p.project)),
  }));

  router.handle(PipelineMethods.Checkpoint, (p) => ({ checkpoint: pipelines.checkpoint(p.id, p.message, p.project) }));

  router.handle(PipelineMethods.Label, (p) => ({ pipeline: toPipelineInfo(pipelines.label(p.id, p.label, p.project)) }));

  router.handle(PipelineMethods.Archive, (p) => ({ pipeline: toPipelineInfo(pipelines.archive(p.id, p.project)) }));

  router.handle(PipelineMethods.Wait, (p, ctx) => {
    const abort = new AbortController();
    ctx.onClose(() => abort.abort());
    return pipelines.wait(p.ids, { all: p.all ?? false, timeoutMs: p.timeoutMs, project: p.project }, abort.signal);
  });

  router.handle(PipelineMethods.Follow, (p, ctx) => {
    const r = engine.resolve(p.id, p.project);
    const subscription = `${ctx.id}.p${nextSub++}`;
    followPipeline(engine, {
      storage,
      ctx,
      logger: d.logger,
      id: r.state.id,
      subscription,
      logsDir: join(d.logsDir, r.state.id),
      from: p.output === false ? null : (p.from ?? 'live'),
      stallMs: d.followStallMs,
    });
    return { subscription, pipeline: toPipelineInfo(r) };
  });

  router.handle(PipelineMethods.Logs, (p) => ({ entries: pipelines.logs(p.id, p.phase, p.project) }));

  router.handle(PipelineMethods.Prune, async (p) => ({
    pruned: await pipelines.prune({ project: p.project, failed: p.failed ?? false, olderThanMs: p.olderThanMs, dryRun: p.dryRun }),
  }));

  router.handle(PipelineMethods.Exists, (p) => {
    const ids = pipelines.activeUsing(p);
    return { exists: ids.length > 0, ids };
  });
}
