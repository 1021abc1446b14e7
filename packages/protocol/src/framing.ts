/**
 * NDJSON framing: one JSON text per line. A LineDecoder turns socket chunks
 * into complete lines; a line longer than the limit is reported once as an
 * overflow and skipped up to its newline, so a hostile peer cannot make the
 * reader buffer without bound.
 */
import { MAX_LINE_BYTES } from './limits.js';

export type DecodedItem = { kind: 'line'; line: string } | { kind: 'overflow'; bytes: number };

export class LineDecoder {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;
  private skipped = 0;

  constructor(private readonly maxBytes: number = MAX_LINE_BYTES) {}

  /** Feeds a chunk; returns the items it completed, in order. */
  push(chunk: Buffer): DecodedItem[] {
    const out: DecodedItem[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.skipping) {
        this.skipped += piece.length;
      } else if (this.size + piece.length > this.maxBytes) {
        this.skipping = true;
        this.skipped = this.size + piece.length;
        this.parts = [];
        this.size = 0;
      } else if (piece.length > 0) {
        this.parts.push(piece);
        this.size += piece.length;
      }
      if (nl === -1) break;
      if (this.skipping) {
        out.push({ kind: 'overflow', bytes: this.skipped });
        this.skipping = false;
        this.skipped = 0;
      } else {
        const line = Buffer.concat(this.parts, this.size).toString('utf8');
        this.parts = [];
        this.size = 0;
        if (line.trim().length > 0) out.push({ kind: 'line', line });
      }
      start = nl + 1;
    }
    return out;
  }

  /** The input ended: a last line without its newline is still a line (or an overflow). */
  end(): DecodedItem[] {
    if (this.skipping) {
      const bytes = this.skipped;
      this.skipping = false;
      this.skipped = 0;
      return [{ kind: 'overflow', bytes }];
    }
    if (this.size === 0) return [];
    const line = Buffer.concat(this.parts, this.size).toString('utf8');
    this.parts = [];
    this.size = 0;
    return line.trim().length > 0 ? [{ kind: 'line', line }] : [];
  }

  /** True while an over-long line is being discarded. */
  get overflowing(): boolean {
    return this.skipping;
  }
}

export function encodeLine(value: unknown): string {
  return JSON.stringify(value) + '\n';
}
