/** The end of a log file, for `pipelines.logs`. */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** The last `max` bytes of a log (as of its size when read), and that size: where a follow can go on. */
export function readTail(path: string, max: number): { text: string; size: number } {
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
