/** Following a pipeline: phase transitions with elapsed times, and (optionally) phase output. */
import { PipelineMethods, type PipelineInfo } from '@oj/protocol/client';
import type { RpcConnection } from '../client/rpc-connection.js';
import { println } from '../output/print.js';
import { style } from '../output/style.js';
import { formatDuration } from '../output/time.js';
import { statusText } from './pipeline-list.js';

const TERMINAL = new Set(['done', 'failed', 'cancelled']);

/** Resolves with the exit code for the pipeline's end: 0 done, 1 failed or cancelled. */
export function followPipeline(
  conn: RpcConnection,
  /** The pipeline: its key (unique in every project), or an id looked up in `project`. */
  target: { id: string; project?: string },
  /** `from`: where the output starts (see pipelines.follow); without it, what the current run prints next. */
  opts: { output: boolean; quietStatus?: boolean; from?: { run: number; offset: number } },
): Promise<number> {
  const started = Date.now();
  let lastKey = '';
  return new Promise((resolve, reject) => {
    let ended = false;
    const finish = (p: PipelineInfo) => {
      if (ended) return;
      ended = true;
      if (!opts.quietStatus || p.status !== 'done') {
        println(`${style.dim(`[${formatDuration(Date.now() - started)}]`)} ${p.id} ${statusText(p)}${p.error ? `: ${p.error}` : ''}`);
      }
      resolve(p.status === 'done' ? 0 : 1);
    };
    conn.on(PipelineMethods.Update, ({ update }) => {
      if (update.kind === 'output') {
        if (opts.output) conn.writeThrough(process.stdout, update.data);
        return;
      }
      if (update.kind === 'output_stopped') {
        process.stderr.write(`oj: ${update.reason}\n`);
        return;
      }
      const p = update.pipeline;
      if (TERMINAL.has(p.status)) return finish(p);
      const key = `${p.phase}|${p.status}|${p.waitingFor?.name ?? ''}`;
      if (key === lastKey || opts.quietStatus) return;
      lastKey = key;
      println(`${style.dim(`[${formatDuration(Date.now() - started)}]`)} ${p.id} ${style.cyan(p.phase ?? '-')} ${statusText(p)}`);
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
      lastKey = `${p.phase}|${p.status}|${p.waitingFor?.name ?? ''}`;
      if (!opts.quietStatus) println(`${style.dim(`[${formatDuration(Date.now() - started)}]`)} ${p.id} ${style.cyan(p.phase ?? '-')} ${statusText(p)}`);
    }, reject);
  });
}
