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
  id: string,
  opts: { output: boolean; quietStatus?: boolean; replay?: boolean },
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
        if (opts.output) process.stdout.write(update.data);
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
    // With replay the daemon first sends every phase run so far and its output, then the
    // current status, then live updates (a pipeline started just before, by `oj run`,
    // loses nothing); without it, the current status is printed from the answer.
    const replay = opts.replay ?? false;
    conn.call(PipelineMethods.Follow, { id, ...(replay ? { replay: true } : {}) }).then((r) => {
      if (replay) return;
      if (TERMINAL.has(r.pipeline.status)) return finish(r.pipeline);
      const p = r.pipeline;
      lastKey = `${p.phase}|${p.status}|${p.waitingFor?.name ?? ''}`;
      if (!opts.quietStatus) println(`${style.dim(`[${formatDuration(Date.now() - started)}]`)} ${p.id} ${style.cyan(p.phase ?? '-')} ${statusText(p)}`);
    }, reject);
  });
}
