/**
 * Following a pipeline: phase transitions with elapsed times, and (optionally)
 * phase output. With `json`, one JSON object per line instead (NDJSON), each a
 * `pipelines.update` as the daemon sends it: `{"kind":"status","pipeline":...}`
 * for the pipeline as it is first, then for each change of phase or status
 * (the last one is its end), `{"kind":"output","run":1,"phase":"build","data":"..."}`
 * for output, `{"kind":"output_stopped","reason":"..."}`.
 */
import { PipelineMethods, type PipelineInfo, type PipelineUpdate } from '@oj/protocol/client';
import type { RpcConnection } from '../client/rpc-connection.js';
import { pipelineEndCode } from '../output/exit-codes.js';
import { println } from '../output/print.js';
import { style } from '../output/style.js';
import { formatDuration } from '../output/time.js';
import { statusText } from './pipeline-list.js';

const TERMINAL = new Set(['done', 'failed', 'cancelled']);

/** Resolves with the exit code for the pipeline's end: 0 done, 1 failed, 4 cancelled (exit-codes.ts). */
export function followPipeline(
  conn: RpcConnection,
  /** The pipeline: its key (unique in every project), or an id looked up in `project`. */
  target: { id: string; project?: string },
  /** `from`: where the output starts (see pipelines.follow); without it, what the current run prints next. */
  opts: {
    output: boolean;
    quietStatus?: boolean;
    from?: { run: number; offset: number };
    json?: boolean;
    /** Printed first (as the pipeline was created); an update saying the same again is not. */
    first?: PipelineInfo;
  },
): Promise<number> {
  const started = Date.now();
  const keyOf = (p: PipelineInfo) => `${p.phase}|${p.status}|${p.waitingFor?.name ?? ''}`;
  let lastKey = '';
  const ndjson = (update: PipelineUpdate) => conn.writeThrough(process.stdout, JSON.stringify(update) + '\n');
  const statusLine = (p: PipelineInfo) => {
    if (opts.json) ndjson({ kind: 'status', pipeline: p });
    else println(`${style.dim(`[${formatDuration(Date.now() - started)}]`)} ${p.id} ${style.cyan(p.phase ?? '-')} ${statusText(p)}`);
  };
  if (opts.first) {
    statusLine(opts.first);
    lastKey = keyOf(opts.first);
  }
  return new Promise((resolve, reject) => {
    let ended = false;
    const finish = (p: PipelineInfo) => {
      if (ended) return;
      ended = true;
      if (opts.json) ndjson({ kind: 'status', pipeline: p });
      else if (!opts.quietStatus || p.status !== 'done') {
        println(`${style.dim(`[${formatDuration(Date.now() - started)}]`)} ${p.id} ${statusText(p)}${p.error ? `: ${p.error}` : ''}`);
      }
      resolve(pipelineEndCode(p.status));
    };
    conn.onNotification(PipelineMethods.Update, ({ update }) => {
      if (update.kind === 'output') {
        if (!opts.output) return;
        if (opts.json) ndjson(update);
        else conn.writeThrough(process.stdout, update.data);
        return;
      }
      if (update.kind === 'output_stopped') {
        if (opts.json) ndjson(update);
        else process.stderr.write(`oj: ${update.reason}\n`);
        return;
      }
      const p = update.pipeline;
      if (TERMINAL.has(p.status)) return finish(p);
      const key = keyOf(p);
      if (key === lastKey || opts.quietStatus) return;
      lastKey = key;
      statusLine(p);
    });
    conn.onClose(() => ended || reject(new Error('the daemon closed the connection while following')));
    const params = { ...target, ...(opts.output ? (opts.from ? { from: opts.from } : {}) : { output: false }) };
    conn.call(PipelineMethods.Follow, params).then((r) => {
      // Replaying from a position, the daemon announces each run and then the end itself, in order.
      if (opts.output && opts.from) return;
      // The end was announced before this answer was read: nothing more to say.
      if (ended) return;
      if (TERMINAL.has(r.pipeline.status)) return finish(r.pipeline);
      const p = r.pipeline;
      if (keyOf(p) === lastKey) return;
      lastKey = keyOf(p);
      if (!opts.quietStatus) statusLine(p);
    }, reject);
  });
}
