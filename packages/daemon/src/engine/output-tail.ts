/**
 * The output a running phase has printed so far, as ojd received it (the
 * last TAIL_BYTES of it), so that a follower that arrives late can be shown
 * everything from the start of the run, then the live output, with nothing
 * missed or doubled: the snapshot and the subscription are taken in one
 * synchronous step. Finished runs are read from their log files instead.
 */

export const TAIL_BYTES = 256 * 1024;

interface Tail {
  run: number;
  chunks: string[];
  bytes: number;
  /** Bytes dropped from the front to stay within TAIL_BYTES. */
  dropped: number;
}

export class OutputTail {
  private readonly tails = new Map<string, Tail>();

  append(pipeline: string, run: number, data: string): void {
    let t = this.tails.get(pipeline);
    if (!t || t.run !== run) {
      t = { run, chunks: [], bytes: 0, dropped: 0 };
      this.tails.set(pipeline, t);
    }
    t.chunks.push(data);
    t.bytes += data.length;
    while (t.bytes > TAIL_BYTES && t.chunks.length > 1) {
      const first = t.chunks.shift()!;
      t.bytes -= first.length;
      t.dropped += first.length;
    }
  }

  /** What the run has printed so far (empty when nothing, or another run is current). */
  snapshot(pipeline: string, run: number): { text: string; dropped: number } {
    const t = this.tails.get(pipeline);
    if (!t || t.run !== run) return { text: '', dropped: 0 };
    return { text: t.chunks.join(''), dropped: t.dropped };
  }

  forget(pipeline: string): void {
    this.tails.delete(pipeline);
  }
}
