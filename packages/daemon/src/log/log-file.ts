/**
 * What the daemon's log is written to: `<state>/ojd.log`, under winston's
 * Stream transport (one write per line). Each line is appended with one
 * synchronous write to a file opened O_APPEND|O_NOFOLLOW and used only while
 * it is our own private file. A line the disk has no room for is dropped
 * whole (a part that was written is cut off again) and counted; once lines
 * fit again, one line says how many were dropped. So a full disk neither
 * stops the log for good (as a write stream that failed once would) nor
 * leaves half a JSON line in it. Past `maxBytes` the file is rotated the way
 * winston's tailable rotation did: ojd.log -> ojd1.log -> ojd2.log.
 */
import { closeSync, constants, existsSync, fstatSync, ftruncateSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, extname, join, basename } from 'node:path';
import { Writable } from 'node:stream';

export interface LogFileOptions {
  filename: string;
  maxBytes: number;
  /** Files kept, the current one included. */
  maxFiles: number;
}

/** A writable stream of log lines (each write one or more whole lines) that never fails. */
export class LogFile extends Writable {
  private fd: number | null = null;
  private size = 0;
  private dropped = 0;
  /** The file is not ours (a link, someone else's): never written. */
  private refused = false;

  constructor(private readonly options: LogFileOptions) {
    super({ decodeStrings: false });
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.line(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.closeFile();
    callback();
  }

  /** Appends one line (with its newline), or counts it as dropped. */
  line(line: string): void {
    if (this.dropped > 0) {
      const note = JSON.stringify({
        level: 'warn',
        message: `${this.dropped} log line${this.dropped === 1 ? '' : 's'} dropped: there was no room on the disk`,
        dropped: this.dropped,
        timestamp: new Date().toISOString(),
      });
      if (this.append(note + '\n')) this.dropped = 0;
    }
    if (this.dropped > 0 || !this.append(line)) this.dropped++;
  }

  closeFile(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** How many lines are waiting to be reported as dropped (for tests). */
  get droppedLines(): number {
    return this.dropped;
  }

  private append(text: string): boolean {
    if (this.refused) return false;
    const bytes = Buffer.from(text, 'utf8');
    try {
      if (this.fd !== null && this.size > 0 && this.size + bytes.length > this.options.maxBytes) this.rotate();
      const fd = this.open();
      if (fd === null) return false;
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      this.size += bytes.length;
      return true;
    } catch {
      // ENOSPC, EDQUOT, EIO: the line is dropped whole.
      if (this.fd !== null) {
        try {
          ftruncateSync(this.fd, this.size);
        } catch {
          // nothing more to do; the next line starts after whatever is there
          this.size = fstatSize(this.fd);
        }
      }
      return false;
    }
  }

  private open(): number | null {
    if (this.fd !== null) return this.fd;
    const fd = openSync(this.options.filename, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    const st = fstatSync(fd);
    const uid = process.getuid?.();
    if ((uid !== undefined && st.uid !== uid) || st.nlink !== 1 || (st.mode & 0o022) !== 0 || !st.isFile()) {
      closeSync(fd);
      this.refused = true;
      return null;
    }
    this.fd = fd;
    this.size = st.size;
    return fd;
  }

  /** ojd.log -> ojd1.log -> ojd2.log ... (the oldest is replaced). */
  private rotate(): void {
    this.closeFile();
    const name = (i: number) => {
      const file = this.options.filename;
      const ext = extname(file);
      return i === 0 ? file : join(dirname(file), `${basename(file, ext)}${i}${ext}`);
    };
    for (let i = this.options.maxFiles - 1; i > 0; i--) {
      if (existsSync(name(i - 1))) renameSync(name(i - 1), name(i));
    }
  }
}

function fstatSize(fd: number): number {
  try {
    return fstatSync(fd).size;
  } catch {
    return 0;
  }
}
