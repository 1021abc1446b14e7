/**
 * What one `pipelines.follow` sends: the pipeline's status changes and its
 * phase output, read from the phase logs at the pace the client reads.
 *
 * The log file is the source of truth for output (a phase's shell writes it
 * directly, see pipeline-runtime.ts), so output is never pushed through
 * memory: the feed reads the current run's log from its own offset, one
 * chunk at a time, only while the connection is writable
 * (ConnectionContext.writable), and waits for the file to grow (dir-watch.ts)
 * once it is at the end. Whatever rate a phase prints at, the daemon holds at
 * most a chunk plus the connection's pause mark per follower, and the phase
 * never waits for a follower.
 *
 * Order: a status change is sent only once the output logged before it has
 * been (it carries a mark: the current run and its log's size then), so
 * `oj run --follow` prints all of a phase's output before the next phase's
 * line and before it exits. Offsets are bytes of the logs, so every byte is
 * sent once, in order.
 *
 * A client that reads none of its waiting output for `stallMs` is told so
 * (`output_stopped`) and sent no more output; status changes still go to it,
 * and the output stays in the log (`oj pipeline logs ID`).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { PipelineMethods, type PipelineUpdate } from '@oj/protocol';
import type { Logger } from 'winston';
import { watchDir, type DirWatch } from '../adapters/dir-watch.js';
import { TERMINAL, type PipelineStatus } from '../core/pipeline-state.js';
import type { PipelineEngine } from './pipeline-engine.js';
import type { ConnectionContext } from '../rpc/connection-context.js';
import type { Storage } from '../storage/storage.js';
import { toPipelineInfo } from '../storage/pipeline-store.js';

/** Bytes read from a log at a time (one notification each). */
const CHUNK_BYTES = 64 * 1024;

export interface Position {
  run: number;
  offset: number;
}

export interface FeedOptions {
  storage: Storage;
  ctx: ConnectionContext;
  logger: Logger;
  id: string;
  subscription: string;
  logsDir: string;
  /** Where output starts; null: no output at all (status changes only); 'live': what the current run prints next. */
  from: Position | 'live' | null;
  stallMs: number;
}

type StatusUpdate = Extract<PipelineUpdate, { kind: 'status' }>;

/** Wakes the feed's loop: once per fire, remembered when nobody waits. */
class Wakeup {
  private waiter: (() => void) | null = null;
  private fired = false;
  fire(): void {
    const w = this.waiter;
    this.waiter = null;
    if (w) w();
    else this.fired = true;
  }
  wait(): Promise<void> {
    if (this.fired) {
      this.fired = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }
}

/**
 * Starts a follow once the answer to `pipelines.follow` is written: the
 * engine's status changes for the pipeline go to its feed until it ends or
 * the connection closes.
 */
export function followPipeline(engine: Pick<PipelineEngine, 'subscribe'>, o: FeedOptions): void {
  setImmediate(() => {
    if (o.ctx.closed) return;
    const feed = new OutputFeed(o);
    const off = engine.subscribe((pid, update) => {
      if (pid !== o.id || update.kind !== 'status') return;
      feed.status(update);
      if (TERMINAL.has(update.pipeline.status as PipelineStatus)) off();
    });
    o.ctx.onClose(() => {
      off();
      feed.close();
    });
    feed.start();
  });
}

export class OutputFeed {
  private readonly wakeup = new Wakeup();
  private readonly statuses: { update: StatusUpdate; mark: Position }[] = [];
  private readonly output: boolean;
  private pos: Position;
  private phase = '';
  private path: string | null = null;
  private fd: number | null = null;
  private decoder = new StringDecoder('utf8');
  private readonly buffer = Buffer.alloc(CHUNK_BYTES);
  private stopped = false;
  private ended = false;
  private watch: DirWatch | null = null;
  /**
   * Replaying from a position: runs up to this one began before the follow, so
   * their "running" status was never heard; each is announced before its output.
   */
  private readonly replayUpTo: number;
  private intro: number | null = null;

  constructor(private readonly o: FeedOptions) {
    this.output = o.from !== null;
    this.replayUpTo = o.from !== null && o.from !== 'live' ? this.currentRun() : -1;
    const current = this.runAt(this.currentRun());
    if (o.from === null || o.from === 'live') this.pos = { run: current.run, offset: current.size };
    else this.pos = { ...o.from };
    this.enter(this.pos.run);
  }

  /** Starts sending; with a pipeline that has ended, sends its output from the start position and then its status. */
  start(): void {
    const r = this.o.storage.pipelines.get(this.o.id);
    if (r && TERMINAL.has(r.state.status)) this.status({ kind: 'status', pipeline: toPipelineInfo(r) });
    if (this.output) this.watch = watchDir(this.o.logsDir, () => this.wakeup.fire());
    this.loop().catch((err: unknown) => {
      this.o.logger.warn('pipeline follow failed', { pipeline: this.o.id, error: String(err) });
      this.close();
    });
  }

  /** A status change from the engine: sent once the output logged before it has been. */
  status(update: StatusUpdate): void {
    if (this.ended) return;
    const at = this.runAt(this.currentRun());
    this.statuses.push({ update, mark: { run: at.run, offset: at.size } });
    this.wakeup.fire();
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.watch?.close();
    this.closeFd();
    this.wakeup.fire();
  }

  private async loop(): Promise<void> {
    while (!this.ended && !this.o.ctx.closed) {
      if (this.sendStatuses()) return this.close();
      if (this.output && !this.stopped) {
        if (this.o.ctx.blocked) {
          if (!(await this.writableInTime())) this.tooSlow();
          continue;
        }
        if (this.intro !== null) this.announce(this.intro);
        if (this.readSome() || this.nextRun()) continue;
      }
      await this.wakeup.wait();
    }
    this.close();
  }

  /** Sends the status changes whose output has been sent; true once the pipeline's end was sent. */
  private sendStatuses(): boolean {
    while (this.statuses.length > 0) {
      const s = this.statuses[0]!;
      if (this.output && !this.stopped && !reached(this.pos, s.mark)) return false;
      this.statuses.shift();
      if (TERMINAL.has(s.update.pipeline.status)) this.flushDecoder();
      this.send(s.update);
      if (TERMINAL.has(s.update.pipeline.status)) return true;
    }
    return false;
  }

  /**
   * Reads and sends the next chunk of the current run's log; false at its end.
   * (A synchronous read of 64 KiB, mostly from the page cache: the loop yields
   * whenever the client has 1 MiB unread, and no read is ever in flight when
   * the feed closes its file.)
   */
  private readSome(): boolean {
    if (this.path === null) return false;
    if (this.fd === null) {
      try {
        this.fd = openSync(this.path, 'r');
      } catch {
        return false; // not created yet
      }
    }
    const bytesRead = readSync(this.fd, this.buffer, 0, CHUNK_BYTES, this.pos.offset);
    if (bytesRead === 0) return false;
    this.pos.offset += bytesRead;
    const data = this.decoder.write(this.buffer.subarray(0, bytesRead));
    if (data) this.send({ kind: 'output', run: this.pos.run, phase: this.phase, data });
    return true;
  }

  /** At the end of the current run's log: moves to the next run, if there is one (then this run has ended, and its log is complete). */
  private nextRun(): boolean {
    const next = this.o.storage.pipelines.runs(this.o.id).find((r) => r.run > this.pos.run);
    if (!next) return false;
    this.flushDecoder();
    this.pos = { run: next.run, offset: 0 };
    this.enter(next.run);
    return true;
  }

  private enter(run: number): void {
    this.closeFd();
    this.decoder = new StringDecoder('utf8');
    const r = this.o.storage.pipelines.runs(this.o.id).find((x) => x.run === run);
    this.path = r?.logPath ?? null;
    this.phase = r?.phase ?? '';
    this.intro = r && run <= this.replayUpTo ? run : null;
  }

  /** A replayed run's start, as the status update it had (sent before any of its output). */
  private announce(run: number): void {
    this.intro = null;
    const r = this.o.storage.pipelines.get(this.o.id);
    const phase = this.o.storage.pipelines.runs(this.o.id).find((x) => x.run === run)?.phase;
    if (!r || phase === undefined) return;
    this.send({ kind: 'status', pipeline: { ...toPipelineInfo(r), phase, status: 'running', waitingFor: null, error: null } });
  }

  /** Resolves true once the client has read enough for more, false when it read nothing of it for stallMs. */
  private writableInTime(): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), this.o.stallMs);
      void this.o.ctx.writable().then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private tooSlow(): void {
    this.stopped = true;
    this.closeFd();
    this.watch?.close();
    const seconds = Math.round(this.o.stallMs / 1000);
    const reason =
      `output stopped: this follower read none of its waiting output for ${seconds}s (too slow); ` +
      `the pipeline goes on, and all its output is in the log: oj pipeline logs ${this.o.id}`;
    this.o.logger.warn('pipeline follower too slow: no more output sent to it', { pipeline: this.o.id, connection: this.o.ctx.id, stallMs: this.o.stallMs });
    this.send({ kind: 'output_stopped', reason });
  }

  private flushDecoder(): void {
    if (!this.output || this.stopped) return;
    const rest = this.decoder.end();
    if (rest) this.send({ kind: 'output', run: this.pos.run, phase: this.phase, data: rest });
  }

  private send(update: PipelineUpdate): void {
    this.o.ctx.notify(PipelineMethods.Update, { subscription: this.o.subscription, id: this.o.id, update });
  }

  private closeFd(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }

  private currentRun(): number {
    return this.o.storage.pipelines.get(this.o.id)?.state.run ?? 0;
  }

  /** A run and its log's size now (0 while it has none). */
  private runAt(run: number): { run: number; size: number } {
    const r = this.o.storage.pipelines.runs(this.o.id).find((x) => x.run === run);
    return { run, size: r?.logPath ? sizeOf(r.logPath) : 0 };
  }
}

function reached(pos: Position, mark: Position): boolean {
  return pos.run > mark.run || (pos.run === mark.run && pos.offset >= mark.offset);
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
