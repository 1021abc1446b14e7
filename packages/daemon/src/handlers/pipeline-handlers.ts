/** pipelines.* methods. */
import { rmSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { OjError, PipelineMethods } from '@oj/protocol';
import { setLongTimeout, type LongTimer } from '../adapters/long-timer.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import { ACTIVE_STATUSES, TERMINAL, type PipelineStatus } from '../core/pipeline-state.js';
import type { EventLog } from '../events/event-log.js';
import type { RpcRouter } from '../rpc/rpc-router.js';
import { redactValue } from '../log/redact.js';
import { toPipelineInfo } from '../storage/pipeline-store.js';
import type { Storage } from '../storage/storage.js';
import type { Logger } from 'winston';
import { OutputFeed } from './output-feed.js';

export interface PipelineHandlerDeps {
  engine: PipelineEngine;
  storage: Storage;
  events: EventLog;
  stateDir: string;
  /** Creates a pipeline from a project's runbooks (resolves the reference). */
  createFromRunbook(project: string, ref: string, inputs: Record<string, unknown>, label?: string): ReturnType<PipelineEngine['create']>;
  removeWorkspace(project: string, path: string): Promise<void>;
  logger: Logger;
  /** A follower that reads none of its waiting output this long is sent no more output. */
  followStallMs: number;
}

const LOG_TAIL_BYTES = 1024 * 1024;

export function registerPipelineHandlers(router: RpcRouter, d: PipelineHandlerDeps): void {
  const { engine, storage } = d;
  let nextSub = 1;

  router.handle(PipelineMethods.Create, (p) => {
    const r = d.createFromRunbook(p.project, p.pipeline, p.inputs ?? {}, p.label);
    return { pipeline: toPipelineInfo(r) };
  });

  router.handle(PipelineMethods.List, (p) => {
    const filter = {
      project: p?.project,
      statuses: p?.active ? ACTIVE_STATUSES : p?.status,
      phases: p?.phase,
      archived: p?.archived ?? false,
      hasSession: p?.hasSession,
      limit: p?.limit,
    };
    const pipelines = storage.pipelines.listInfo(filter);
    // A page shorter than the limit is everything there is: no count needed.
    const total = p?.limit !== undefined && pipelines.length >= p.limit ? storage.pipelines.count(filter) : pipelines.length;
    return { pipelines, total };
  });

  router.handle(PipelineMethods.Show, (p) => {
    const r = engine.resolve(p.id, p.project);
    const id = r.state.id;
    const history = storage.events.list({ subject: id, limit: 500 });
    return {
      pipeline: toPipelineInfo(r),
      // Errors and checkpoint messages are shown with known secret values redacted (log/redact.ts).
      runs: redactValue(storage.pipelines.runs(id)),
      checkpoints: redactValue(storage.pipelines.checkpoints(id)),
      history,
    };
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

  router.handle(PipelineMethods.Checkpoint, (p) => {
    const r = engine.resolve(p.id, p.project);
    const checkpoint = storage.write(() => {
      const c = storage.pipelines.addCheckpoint(r.state.id, r.state.phase, p.message, storage.now());
      d.events.emit({ name: 'pipeline:checkpoint', subject: r.state.id, project: r.project, data: { message: p.message } });
      return c;
    });
    return { checkpoint };
  });

  router.handle(PipelineMethods.Label, (p) => {
    const r = engine.resolve(p.id, p.project);
    const updated = { ...r, label: p.label };
    storage.write(() => storage.pipelines.save(updated));
    return { pipeline: toPipelineInfo(updated) };
  });

  router.handle(PipelineMethods.Archive, (p) => {
    const r = engine.resolve(p.id, p.project);
    if (!TERMINAL.has(r.state.status)) {
      throw OjError.illegalState(`pipeline ${r.state.handle} is ${r.state.status}; only finished pipelines are archived`, {
        state: r.state.status,
        hint: `oj pipeline cancel ${r.state.handle} first`,
      });
    }
    const updated = { ...r, archived: true };
    storage.write(() => storage.pipelines.save(updated));
    return { pipeline: toPipelineInfo(updated) };
  });

  router.handle(PipelineMethods.Wait, async (p, ctx) => {
    const found = p.ids.map((x) => engine.resolve(x, p.project).state);
    const ids = found.map((s) => s.id);
    const abort = new AbortController();
    ctx.onClose(() => abort.abort());
    const waits = ids.map((id) => engine.waitForEnd(id, abort.signal).then((status) => ({ id, status })));
    const goal: Promise<unknown> = p.all ? Promise.all(waits) : Promise.race(waits);
    let timer: LongTimer | null = null;
    const timedOut = await Promise.race([
      goal.then(() => false),
      new Promise<boolean>((resolve) => {
        if (p.timeoutMs !== undefined) timer = setLongTimeout(() => resolve(true), p.timeoutMs);
      }),
    ]);
    (timer as LongTimer | null)?.cancel();
    abort.abort();
    // Each as the caller named it: by its id in its project.
    const results = found.map((s) => ({ id: s.handle, status: storage.pipelines.get(s.id)?.state.status ?? 'failed' }));
    return { results, timedOut };
  });

  router.handle(PipelineMethods.Follow, (p, ctx) => {
    const r = engine.resolve(p.id, p.project);
    const id = r.state.id;
    const subscription = `${ctx.id}.p${nextSub++}`;
    setImmediate(() => {
      // After the answer is written. Output comes from the logs, at the client's pace (output-feed.ts).
      if (ctx.closed) return;
      const feed = new OutputFeed({
        storage,
        ctx,
        logger: d.logger,
        id,
        subscription,
        logsDir: join(d.stateDir, 'logs', id),
        from: p.output === false ? null : (p.from ?? 'live'),
        stallMs: d.followStallMs,
      });
      const off = engine.subscribe((pid, update) => {
        if (pid !== id || update.kind !== 'status') return;
        feed.status(update);
        if (TERMINAL.has(update.pipeline.status)) off();
      });
      ctx.onClose(() => {
        off();
        feed.close();
      });
      feed.start();
    });
    return { subscription, pipeline: toPipelineInfo(r) };
  });

  router.handle(PipelineMethods.Logs, (p) => {
    const r = engine.resolve(p.id, p.project);
    const runs = storage.pipelines.runs(r.state.id).filter((x) => !p.phase || x.phase === p.phase);
    const entries = runs.flatMap((x) =>
      x.logPath ? [{ run: x.run, phase: x.phase, path: x.logPath, ...tail(x.logPath, LOG_TAIL_BYTES) }] : [],
    );
    return { entries };
  });

  router.handle(PipelineMethods.Prune, async (p) => {
    const statuses: PipelineStatus[] = p.failed ? ['done', 'cancelled', 'failed'] : ['done', 'cancelled'];
    const cutoff = p.olderThanMs !== undefined ? storage.now() - p.olderThanMs : Infinity;
    const victims = storage.pipelines
      .list({ project: p.project, statuses })
      .filter((r) => (r.state.finishedAt ?? r.state.updatedAt) <= cutoff);
    if (p.dryRun) return { pruned: victims.map((v) => v.state.handle) };
    for (const v of victims) {
      const ws = typeof v.vars.workspace === 'string' ? v.vars.workspace : null;
      if (ws) await d.removeWorkspace(v.project, ws).catch(() => undefined);
      storage.write(() => {
        storage.pipelines.delete(v.state.id);
        d.events.emit({ name: 'pipeline:pruned', subject: v.state.id, project: v.project, data: { status: v.state.status } });
      });
      rmSync(join(d.stateDir, 'logs', v.state.id), { recursive: true, force: true });
    }
    return { pruned: victims.map((v) => v.state.handle) };
  });

  router.handle(PipelineMethods.Exists, (p) => {
    const ids = storage.pipelines
      .list({ project: p.project, statuses: ACTIVE_STATUSES })
      .filter(
        (r) =>
          (p.workspace === undefined || r.vars.workspace === p.workspace || r.workspace === p.workspace) &&
          (p.session === undefined || r.session === p.session),
      )
      .map((r) => r.state.handle);
    return { exists: ids.length > 0, ids };
  });
}

/** The last `max` bytes of a log (as of its size when read), and that size: where a follow can go on. */
function tail(path: string, max: number): { text: string; size: number } {
  try {
    const size = statSync(path).size;
    const n = Math.min(size, max);
    const buf = Buffer.alloc(n);
    const fd = openSync(path, 'r');
    try {
      let got = 0;
      while (got < n) {
        const k = readSync(fd, buf, got, n - got, size - n + got);
        if (k === 0) break;
        got += k;
      }
      return { text: buf.subarray(0, got).toString('utf8'), size: size - n + got };
    } finally {
      closeSync(fd);
    }
  } catch {
    return { text: '', size: 0 };
  }
}
